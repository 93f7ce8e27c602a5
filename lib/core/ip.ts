// IPv4/IPv6 text <-> bytes, with the canonical IPv6 text form that node:net prints (RFC 5952).
import { isIPv4, isIPv6 } from 'node:net';
import { invalidArgValue } from '../errors.js';

/** 4 bytes of a dotted-quad IPv4 address. */
export function parseIPv4(address: string): Uint8Array {
  if (!isIPv4(address)) throw invalidArgValue('address', 'must be an IPv4 address', address);
  return Uint8Array.from(address.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (with '::' and an embedded IPv4 tail allowed; no zone). */
export function parseIPv6(address: string): Uint8Array {
  if (!isIPv6(address) || address.includes('%')) {
    throw invalidArgValue('address', 'must be an IPv6 address', address);
  }
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes its two hex groups.
  let text = address;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => Number.parseInt(w, 16)));
  const left = words(head);
  const right = rest === undefined ? [] : words(rest);
  const groups = [...left];
  if (rest !== undefined) {
    const missing = 8 - left.length - right.length;
    for (let i = 0; i < missing; i++) groups.push(0);
  }
  groups.push(...right);
  const bytes = new Uint8Array(16);
  groups.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952: lower case, leading zeros dropped, the longest run (>= 2) of zero groups as '::'. */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + i * 2] << 8) | bytes[offset + i * 2 + 1]);
  // IPv4-mapped addresses print with a dotted tail, as node:net does.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
