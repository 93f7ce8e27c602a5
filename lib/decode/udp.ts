/**
 * UDP (RFC 768): source port, destination port, length (header + payload), checksum.
 */
import { IPPROTO_UDP, verifyTransportChecksum } from './checksum.js';
import { asBuffer, type ChecksumStatus, checksumFields, type Decoded, fail, type TransportContext } from './result.js';

/** A decoded UDP header. */
export interface UdpHeader {
  /** Always 'udp'. */
  layer: 'udp';
  /** Source port (0: none given). */
  sourcePort: number;
  /** Destination port. */
  destinationPort: number;
  /** The length field: header plus payload, in bytes (≥ 8). */
  length: number;
  /** The checksum as stored; 0 over IPv4 means the sender computed none. */
  checksum: number;
  /**
   * Whether the checksum is right for the pseudo-header. Absent when it cannot be checked: no
   * addresses in the context, the datagram is truncated, or the checksum is 0 over IPv4. A 0
   * checksum over IPv6 is invalid (RFC 8200 §8.1) and reported as `false`.
   */
  checksumValid?: boolean;
  /**
   * 'valid', 'bad', or 'not-computed' (left to offload: see ChecksumStatus); absent when it
   * cannot be checked. `checksumValid` is absent for 'not-computed'.
   */
  checksumStatus?: ChecksumStatus;
  /** The payload, up to the length field (a view). */
  payload: Buffer;
  /** True when the data ends before the length field says. */
  truncated: boolean;
}

/** @internal Whether a pseudo-header can be built from the context (both addresses present). */
export function pseudoAddresses(
  context: TransportContext | undefined,
): { source: string | Uint8Array; destination: string | Uint8Array } | undefined {
  if (context?.source === undefined || context.destination === undefined) return undefined;
  return { source: context.source, destination: context.destination };
}

/** @internal Whether an address given as text or bytes is IPv6. */
export function isIPv6Address(address: string | Uint8Array): boolean {
  return typeof address === 'string' ? address.includes(':') : address.length === 16;
}

/**
 * Decodes a UDP header; with addresses in `context` it also verifies the checksum.
 * @example const udp = decodeUdp(ip.payload, { source: ip.source, destination: ip.destination }); // udp.ok && udp.checksumValid
 */
export function decodeUdp(data: Uint8Array, context?: TransportContext): Decoded<UdpHeader> {
  const b = asBuffer(data);
  if (b.length < 8) return fail('udp', 'truncated', b.length, `UDP header needs 8 bytes, got ${b.length}`);
  const length = b.readUInt16BE(4);
  if (length < 8) return fail('udp', 'malformed', 4, `UDP length ${length} is below the header size 8`);
  const segmentLength = context?.segmentLength ?? b.length;
  if (length > segmentLength) {
    return fail('udp', 'malformed', 4, `UDP length ${length} exceeds the ${segmentLength} bytes the IP header carries`);
  }
  const checksum = b.readUInt16BE(6);
  const truncated = length > b.length;
  const pseudo = pseudoAddresses(context);
  let checksumValid: boolean | undefined;
  if (pseudo && !truncated && !context?.checksumNotComputed) {
    if (checksum === 0) {
      if (isIPv6Address(pseudo.source)) checksumValid = false;
    } else {
      checksumValid = verifyTransportChecksum({
        source: pseudo.source,
        destination: pseudo.destination,
        protocol: IPPROTO_UDP,
        // The first `length` bytes (a view of them would cost more than the sum).
        segment: b,
        coverage: length,
        length,
      });
    }
  }
  return {
    ok: true,
    layer: 'udp',
    sourcePort: b.readUInt16BE(0),
    destinationPort: b.readUInt16BE(2),
    length,
    checksum,
    ...checksumFields(context, checksumValid),
    payload: b.subarray(8, Math.min(length, b.length)),
    truncated,
  };
}
