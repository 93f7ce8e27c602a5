/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443).
 *
 * Both start with type (1), code (1), checksum (2) and four type-specific bytes. The ICMP checksum
 * covers the message only; the ICMPv6 checksum also covers the IPv6 pseudo-header, so it is
 * verified only when the context carries the addresses.
 */
import { IPPROTO_ICMPV6, internetChecksum, verifyTransportChecksum } from './checksum.js';
import {
  asBuffer,
  type ChecksumStatus,
  checksumFields,
  type Decoded,
  fail,
  type Layer,
  type TransportContext,
} from './result.js';
import { pseudoAddresses } from './udp.js';

/** Identifier and sequence number of echo requests and replies. */
export interface IcmpEcho {
  /** Identifier, chosen by the sender to match replies to requests (ping uses it per process or socket). */
  identifier: number;
  /** Sequence number, counted up by the sender. */
  sequence: number;
}

/** A decoded ICMP or ICMPv6 header. */
export interface IcmpHeader {
  /** 'icmp' for IPv4, 'icmpv6' for IPv6. */
  layer: 'icmp' | 'icmpv6';
  /**
   * Message type. ICMP: 0 echo reply, 3 destination unreachable, 8 echo request, 11 time
   * exceeded, … ICMPv6: 1 destination unreachable, 2 packet too big, 3 time exceeded, 128 echo
   * request, 129 echo reply, 133–137 neighbour discovery, …
   */
  type: number;
  /** Subtype of the message type (for destination unreachable: 3 port unreachable, …). */
  code: number;
  /** The checksum as stored. */
  checksum: number;
  /** Whether the checksum is right; absent when the message is truncated or (ICMPv6) there are no addresses. */
  checksumValid?: boolean;
  /**
   * 'valid', 'bad', or 'not-computed' (left to offload: see ChecksumStatus); absent when it
   * cannot be checked. `checksumValid` is absent for 'not-computed'.
   */
  checksumStatus?: ChecksumStatus;
  /** The 4 type-specific bytes after the checksum (a view). */
  restOfHeader: Buffer;
  /** Present for echo requests and replies. */
  echo?: IcmpEcho;
  /** Bytes after the 8-byte header: for errors, the start of the offending packet (a view). */
  payload: Buffer;
  /** True when the data ends before the message does. */
  truncated: boolean;
}

function decode(layer: Layer & ('icmp' | 'icmpv6'), data: Uint8Array, context?: TransportContext): Decoded<IcmpHeader> {
  const b = asBuffer(data);
  const name = layer === 'icmp' ? 'ICMP' : 'ICMPv6';
  const segmentLength = context?.segmentLength ?? b.length;
  if (b.length < 8) {
    return fail(
      layer,
      segmentLength < 8 ? 'malformed' : 'truncated',
      b.length,
      `${name} header needs 8 bytes, got ${b.length}`,
    );
  }
  const type = b.readUInt8(0);
  const truncated = segmentLength > b.length;
  const end = Math.min(segmentLength, b.length);
  const message = b.subarray(0, end);
  let checksumValid: boolean | undefined;
  if (!truncated && !context?.checksumNotComputed) {
    if (layer === 'icmp') {
      checksumValid = internetChecksum(message) === 0;
    } else {
      const pseudo = pseudoAddresses(context);
      if (pseudo)
        checksumValid = verifyTransportChecksum({
          source: pseudo.source,
          destination: pseudo.destination,
          protocol: IPPROTO_ICMPV6,
          segment: message,
        });
    }
  }
  const isEcho = layer === 'icmp' ? type === 0 || type === 8 : type === 128 || type === 129;
  return {
    ok: true,
    layer,
    type,
    code: b.readUInt8(1),
    checksum: b.readUInt16BE(2),
    ...checksumFields(context, checksumValid),
    restOfHeader: b.subarray(4, 8),
    ...(isEcho ? { echo: { identifier: b.readUInt16BE(4), sequence: b.readUInt16BE(6) } } : {}),
    payload: b.subarray(8, end),
    truncated,
  };
}

/**
 * Decodes an ICMP (IPv4) header and verifies its checksum.
 * @example const icmp = decodeIcmp(ipv4.payload); // icmp.ok && icmp.type === 8: an echo request, icmp.echo.sequence
 */
export function decodeIcmp(data: Uint8Array, context?: TransportContext): Decoded<IcmpHeader> {
  return decode('icmp', data, context);
}

/**
 * Decodes an ICMPv6 header; with addresses in `context` it also verifies the checksum.
 * @example decodeIcmpv6(ipv6.payload, { source: ipv6.source, destination: ipv6.destination })
 */
export function decodeIcmpv6(data: Uint8Array, context?: TransportContext): Decoded<IcmpHeader> {
  return decode('icmpv6', data, context);
}
