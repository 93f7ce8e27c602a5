/**
 * Address formatting and parsing.
 *
 * Text forms are the ones Node uses: IPv4 dotted decimal, IPv6 in the RFC 5952 compressed form
 * that `node:net` prints (lower-case hex, no leading zeros, the first longest run of two or more
 * zero groups as `::`, and `::ffff:1.2.3.4` / `::1.2.3.4` for IPv4-mapped and IPv4-compatible
 * addresses, as libuv's inet_ntop does), MAC addresses as `aa:bb:cc:dd:ee:ff`.
 */
import { invalidArgValue } from '../errors.js';
import { isIPv4Text, isIPv6Text } from './ip-text.js';

/**
 * Formats `length` bytes at `offset` as a colon-separated lower-case hex link-layer address.
 * @example formatMac(Buffer.from([2, 0, 0, 0, 0, 1])) // '02:00:00:00:00:01'
 */
export function formatMac(data: Uint8Array, offset = 0, length = 6): string {
  // Two of these per decoded Ethernet frame: string concatenation from a table, not an array,
  // toString and join per byte (a quarter of decodePacket's time before).
  let text = length > 0 ? (HEX_BYTES[data[offset] ?? 0] as string) : '';
  for (let i = 1; i < length; i++) text += `:${HEX_BYTES[data[offset + i] ?? 0] as string}`;
  return text;
}

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * Formats the 4 bytes at `offset` as dotted decimal.
 * @example formatIPv4(frame, 26) // the source address of an IPv4 packet in an Ethernet frame
 */
export function formatIPv4(data: Uint8Array, offset = 0): string {
  return `${data[offset]}.${data[offset + 1]}.${data[offset + 2]}.${data[offset + 3]}`;
}

/**
 * Formats the 16 bytes at `offset` in the canonical text form `node:net` uses (RFC 5952).
 * @example formatIPv6(parseIPv6('2001:db8:0:0:0:0:0:1')) // '2001:db8::1'
 */
export function formatIPv6(data: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((data[offset + 2 * i] ?? 0) << 8) | (data[offset + 2 * i + 1] ?? 0));
  // RFC 5952 §4.2: compress the first longest run of at least two zero groups.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  // libuv (and so node:net) prints embedded IPv4 for ::ffff:a.b.c.d and ::a.b.c.d.
  const embeddedIPv4 = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff));
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (embeddedIPv4 && i === 6) {
      if (!text.endsWith(':')) text += ':';
      text += formatIPv4(data, offset + 12);
      break;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += (words[i] as number).toString(16);
  }
  return text;
}

/**
 * Parses dotted-decimal IPv4 text into 4 bytes; anything else is a TypeError with code ERR_INVALID_ARG_VALUE.
 * @example parseIPv4('192.0.2.1') // <Buffer c0 00 02 01>
 */
export function parseIPv4(text: string): Buffer {
  if (!isIPv4Text(text)) throw invalidArgValue('address', 'must be an IPv4 address', text);
  return Buffer.from(text.split('.').map(Number));
}

/**
 * Parses IPv6 text (any valid form, including embedded IPv4) into 16 bytes; anything else is a TypeError with code ERR_INVALID_ARG_VALUE.
 * @example parseIPv6('::ffff:192.0.2.1').subarray(12) // <Buffer c0 00 02 01>
 */
export function parseIPv6(text: string): Buffer {
  if (!isIPv6Text(text)) throw invalidArgValue('address', 'must be an IPv6 address', text);
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIPv4(piece);
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const zoneless = text.split('%')[0] as string;
  const halves = zoneless.split('::');
  const head = groups(halves[0] as string);
  const tail = halves.length > 1 ? groups(halves[1] as string) : [];
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = Buffer.alloc(16);
  for (const [i, word] of words.entries()) bytes.writeUInt16BE(word, 2 * i);
  return bytes;
}

/**
 * Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) into 6 bytes; anything else is a TypeError with code ERR_INVALID_ARG_VALUE.
 * @example parseMac('02-00-00-00-00-01') // <Buffer 02 00 00 00 00 01>
 */
export function parseMac(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw invalidArgValue('address', 'must be a MAC address (aa:bb:cc:dd:ee:ff)', text);
  }
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

/**
 * An IP address as text or raw bytes (4 bytes IPv4, 16 bytes IPv6), as the checksum helpers and
 * builders accept it.
 */
export type IPAddressInput = string | Uint8Array;

/** @internal Raw bytes of an address given as text or bytes, as a Buffer. */
export function addressBytes(address: IPAddressInput): Buffer {
  const bytes = addressView(address);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * @internal Raw bytes of an address given as text or bytes; bytes are checked and returned as
 * they are (the checksum of every decoded packet reads its IP header's address bytes: no copy).
 */
export function addressView(address: IPAddressInput): Uint8Array {
  if (typeof address !== 'string') {
    if (address.length !== 4 && address.length !== 16) {
      throw new RangeError(`an IP address is 4 or 16 bytes, got ${address.length}`);
    }
    return address;
  }
  if (isIPv4Text(address)) return parseIPv4(address);
  return parseIPv6(address);
}
