/**
 * The Internet checksum (RFC 1071) and the transport checksums built on it (RFC 768 UDP, RFC 793
 * TCP, RFC 3828 UDP-Lite, RFC 8200 §8.1 IPv6 pseudo-header, RFC 4443 ICMPv6).
 */
import { addressView, type IPAddressInput } from './address.js';

/** IP protocol number of ICMP (RFC 792). */
export const IPPROTO_ICMP = 1;
/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;
/** IP protocol number of UDP. */
export const IPPROTO_UDP = 17;
/** IP protocol number of ICMPv6 (RFC 4443). */
export const IPPROTO_ICMPV6 = 58;
/** IP protocol number of UDP-Lite (RFC 3828). */
export const IPPROTO_UDPLITE = 136;

/** @internal The 16-bit ones' complement sum of `data[start, end)`, added to `initial`, unfolded. */
function sum(data: Uint8Array, start: number, end: number, initial: number): number {
  let total = initial;
  let i = start;
  for (; i + 1 < end; i += 2) total += ((data[i] as number) << 8) | (data[i + 1] as number);
  // RFC 1071: an odd trailing byte is padded with a zero byte.
  if (i < end) total += (data[i] as number) << 8;
  // Fold often enough that the number stays exact (well below 2^53).
  return total > 0xffffffff ? (total & 0xffff) + Math.floor(total / 0x10000) : total;
}

function fold(total: number): number {
  let t = total;
  while (t > 0xffff) t = (t & 0xffff) + Math.floor(t / 0x10000);
  return t;
}

/**
 * The Internet checksum of `data`: the ones' complement of the ones' complement sum of its 16-bit
 * big-endian words (RFC 1071), an odd last byte padded with zero.
 *
 * To fill a header's checksum field, compute it with the field set to zero. To verify a header
 * (for example an IPv4 header), compute it over the header as received: the result is 0 when the
 * stored checksum is right.
 * @example internetChecksum(packet.subarray(0, 20)) === 0 // an IPv4 header with a correct checksum
 */
export function internetChecksum(data: Uint8Array): number {
  return internetChecksumOf(data, 0, data.length);
}

/** @internal internetChecksum() of data[start..end), without a view of them. */
export function internetChecksumOf(data: Uint8Array, start: number, end: number): number {
  return ~fold(sum(data, start, end, 0)) & 0xffff;
}

/** The input of {@link transportChecksum}: a TCP, UDP, UDP-Lite or ICMPv6 segment and its IP addresses. */
export interface TransportChecksumInput {
  /** Source IP address: text, or 4/16 raw bytes. Its family picks the IPv4 or IPv6 pseudo-header. */
  source: IPAddressInput;
  /** Destination IP address, same family as `source`. */
  destination: IPAddressInput;
  /** IP protocol number of the segment: 6 TCP, 17 UDP, 136 UDP-Lite, 58 ICMPv6, … */
  protocol: number;
  /** The transport header plus payload. */
  segment: Uint8Array;
  /**
   * How many bytes of `segment` the checksum covers (UDP-Lite's checksum coverage, RFC 3828 §3.1);
   * 0 or absent means the whole segment. Clamped to the segment length.
   */
  coverage?: number;
  /**
   * The segment's full length for the pseudo-header, when `segment` holds only its covered start
   * (a capture cut after the covered bytes). Defaults to `segment.length`.
   */
  length?: number;
}

/** @internal Offset of the checksum field within the segment, for the protocols that have one. */
function checksumFieldOffset(protocol: number): number | undefined {
  switch (protocol) {
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
      return 6;
    case IPPROTO_TCP:
      return 16;
    case IPPROTO_ICMPV6:
      return 2;
    default:
      return undefined;
  }
}

/** @internal Sum over the pseudo-header and the covered part of the segment, unfolded. */
function pseudoSum(input: TransportChecksumInput, skipChecksumField: boolean): number {
  const source = addressView(input.source);
  const destination = addressView(input.destination);
  if (source.length !== destination.length) {
    throw new TypeError('source and destination must be of the same address family');
  }
  const { segment, protocol } = input;
  const coverage = input.coverage ? Math.min(input.coverage, segment.length) : segment.length;
  // Pseudo-header (RFC 768 / RFC 8200 §8.1): addresses, protocol, and the *full* segment length
  // (UDP-Lite too: RFC 3828 §3.1 uses the IP-derived length, not the coverage).
  let total = sum(source, 0, source.length, 0);
  total = sum(destination, 0, destination.length, total);
  const length = input.length ?? segment.length;
  total += protocol + (length & 0xffff) + Math.floor(length / 0x10000);
  const field = skipChecksumField ? checksumFieldOffset(protocol) : undefined;
  if (field === undefined || field + 2 > coverage) return sum(segment, 0, coverage, total);
  total = sum(segment, 0, field, total);
  return sum(segment, field + 2, coverage, total);
}

/**
 * The checksum to put in a TCP, UDP, UDP-Lite or ICMPv6 header: the Internet checksum over the
 * IPv4 or IPv6 pseudo-header and the first `coverage` bytes of the segment.
 *
 * The segment's own checksum field is treated as zero, so it need not be cleared first. For UDP
 * and UDP-Lite a computed 0 is returned as 0xffff (RFC 768: 0 means "no checksum" on the wire).
 * For protocols without a known checksum field the whole segment is summed as given.
 * @example
 * const segment = buildUdpDatagram({ source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2, payload });
 * transportChecksum({ source: '10.0.0.1', destination: '10.0.0.2', protocol: IPPROTO_UDP, segment }) === segment.readUInt16BE(6); // true
 */
export function transportChecksum(input: TransportChecksumInput): number {
  const value = ~fold(pseudoSum(input, true)) & 0xffff;
  if (value === 0 && (input.protocol === IPPROTO_UDP || input.protocol === IPPROTO_UDPLITE)) return 0xffff;
  return value;
}

/**
 * Whether the checksum stored in `segment` is right for its pseudo-header and coverage (the ones'
 * complement sum over everything, stored checksum included, is 0xffff).
 *
 * A UDP-over-IPv4 checksum of 0 means the sender computed none (RFC 768); this function does not
 * special-case it: callers that accept it check the field first (`decodeUdp` reports it).
 * @example verifyTransportChecksum({ source: '::1', destination: '::1', protocol: IPPROTO_TCP, segment: tcpSegment })
 */
export function verifyTransportChecksum(input: TransportChecksumInput): boolean {
  return fold(pseudoSum(input, false)) === 0xffff;
}
