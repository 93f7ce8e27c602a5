/**
 * IPv4 headers (RFC 791).
 *
 * Layout: version/IHL, DSCP/ECN, total length, identification, flags/fragment offset, TTL,
 * protocol, header checksum, source, destination, then options up to IHL × 4 bytes.
 */
import { formatIPv4 } from './address.js';
import { internetChecksumOf } from './checksum.js';
import { asBuffer, type Decoded, fail } from './result.js';

/** One IPv4 option (End of Options List and No-Operation are not listed). */
export interface IPv4Option {
  /** Option type octet: copied flag, class and number (7 record route, 68 timestamp, 148 router alert, …). */
  type: number;
  /** The option's data after its type and length octets (a view). */
  data: Buffer;
}

/** A decoded IPv4 header. */
export interface IPv4Header {
  /** Always 'ipv4'. */
  layer: 'ipv4';
  /** The version field: always 4 (anything else is a decode error). */
  version: 4;
  /** Header length in bytes (IHL × 4), 20–60. */
  headerLength: number;
  /** Differentiated services code point (upper 6 bits of the former TOS byte). */
  dscp: number;
  /** Explicit congestion notification bits (lower 2 bits). */
  ecn: number;
  /** Total length field: header plus payload in bytes. */
  totalLength: number;
  /** Identification field: fragments of one packet share it. */
  identification: number;
  /** The DF flag: routers must not fragment the packet. */
  dontFragment: boolean;
  /** The MF flag: more fragments follow this one. */
  moreFragments: boolean;
  /** Offset of this fragment's data in the original payload, in bytes (the field × 8). */
  fragmentOffset: number;
  /** True for any fragment: MF set or a non-zero offset. */
  isFragment: boolean;
  /** Time to live: hops left before a router drops the packet. */
  ttl: number;
  /** IP protocol number of the payload (6 TCP, 17 UDP, 1 ICMP, 136 UDP-Lite, …). */
  protocol: number;
  /** The header checksum as stored. */
  checksum: number;
  /** Whether the stored header checksum matches the header (the kernel drops packets where it doesn't). */
  checksumValid: boolean;
  /** Source address, dotted decimal. */
  source: string;
  /** Destination address, dotted decimal. */
  destination: string;
  /** Raw source address bytes (a view). */
  sourceBytes: Buffer;
  /** Raw destination address bytes (a view). */
  destinationBytes: Buffer;
  /** Options in order, without padding (End of Options List / No-Operation). */
  options: IPv4Option[];
  /** Payload bytes: up to the total length, so link-layer padding is left out (a view). */
  payload: Buffer;
  /** True when the data ends before the total length says (a short capture or snap length). */
  truncated: boolean;
}

/**
 * Decodes an IPv4 header, checking version, lengths, options and the header checksum.
 * @example
 * const ip = decodeIPv4(eth.payload);
 * if (ip.ok && ip.protocol === IPPROTO_UDP) console.log(ip.source, ip.ttl, ip.checksumValid);
 */
export function decodeIPv4(data: Uint8Array): Decoded<IPv4Header> {
  const b = asBuffer(data);
  if (b.length < 20) return fail('ipv4', 'truncated', b.length, `IPv4 header needs at least 20 bytes, got ${b.length}`);
  const first = b.readUInt8(0);
  const version = first >> 4;
  if (version !== 4) return fail('ipv4', 'malformed', 0, `IP version ${version} is not 4`);
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < 20) {
    return fail('ipv4', 'malformed', 0, `IPv4 header length ${headerLength} is below the minimum 20`);
  }
  if (headerLength > b.length) {
    return fail(
      'ipv4',
      'truncated',
      b.length,
      `IPv4 header length ${headerLength} runs past the ${b.length} bytes given`,
    );
  }
  const totalLength = b.readUInt16BE(2);
  if (totalLength < headerLength) {
    return fail('ipv4', 'malformed', 2, `IPv4 total length ${totalLength} is below the header length ${headerLength}`);
  }
  const options: IPv4Option[] = [];
  // RFC 791 option format: single-octet EOL (0) and NOP (1); every other option is
  // type, length (counting type and length octets, so ≥ 2), data.
  for (let i = 20; i < headerLength; ) {
    const type = b.readUInt8(i);
    if (type === 0) break;
    if (type === 1) {
      i++;
      continue;
    }
    if (i + 1 >= headerLength) return fail('ipv4', 'malformed', i, `IPv4 option ${type} has no length octet`);
    const length = b.readUInt8(i + 1);
    if (length < 2 || i + length > headerLength) {
      return fail('ipv4', 'malformed', i + 1, `IPv4 option ${type} length ${length} does not fit the header`);
    }
    options.push({ type, data: b.subarray(i + 2, i + length) });
    i += length;
  }
  const flagsAndOffset = b.readUInt16BE(6);
  const moreFragments = (flagsAndOffset & 0x2000) !== 0;
  const fragmentOffset = (flagsAndOffset & 0x1fff) * 8;
  const end = Math.min(totalLength, b.length);
  return {
    ok: true,
    layer: 'ipv4',
    version: 4,
    headerLength,
    dscp: b.readUInt8(1) >> 2,
    ecn: b.readUInt8(1) & 0x03,
    totalLength,
    identification: b.readUInt16BE(4),
    dontFragment: (flagsAndOffset & 0x4000) !== 0,
    moreFragments,
    fragmentOffset,
    isFragment: moreFragments || fragmentOffset !== 0,
    ttl: b.readUInt8(8),
    protocol: b.readUInt8(9),
    checksum: b.readUInt16BE(10),
    checksumValid: internetChecksumOf(b, 0, headerLength) === 0,
    source: formatIPv4(b, 12),
    destination: formatIPv4(b, 16),
    sourceBytes: b.subarray(12, 16),
    destinationBytes: b.subarray(16, 20),
    options,
    payload: b.subarray(headerLength, end),
    truncated: totalLength > b.length,
  };
}
