/**
 * UDP-Lite (RFC 3828, IP protocol 136).
 *
 * Same header as UDP, but the length field is the checksum coverage: how many bytes from the start
 * of the header the checksum covers. 0 means the whole datagram; 1–7 is illegal (the header is
 * always covered); more than the datagram is illegal. The datagram's length comes from the IP
 * layer. The checksum is mandatory: a stored 0 is invalid (Linux drops it).
 */
import { IPPROTO_UDPLITE, verifyTransportChecksum } from './checksum.js';
import { asBuffer, type ChecksumStatus, checksumFields, type Decoded, fail, type TransportContext } from './result.js';
import { pseudoAddresses } from './udp.js';

/** A decoded UDP-Lite header. */
export interface UdpLiteHeader {
  /** Always 'udplite'. */
  layer: 'udplite';
  /** Source port. */
  sourcePort: number;
  /** Destination port. */
  destinationPort: number;
  /** The checksum coverage field as stored (0 = whole datagram). */
  coverage: number;
  /** Bytes the checksum covers: `coverage`, or the datagram length when `coverage` is 0. */
  coveredLength: number;
  /** Whether only part of the datagram is covered (coverage ≠ 0 and below the datagram length). */
  partialCoverage: boolean;
  /** The checksum as stored (never 0 on the wire: UDP-Lite requires one). */
  checksum: number;
  /**
   * Whether the checksum over the pseudo-header and the covered bytes is right. Absent when the
   * context has no addresses or the covered bytes were not all captured.
   */
  checksumValid?: boolean;
  /**
   * 'valid', 'bad', or 'not-computed' (left to offload: see ChecksumStatus); absent when it
   * cannot be checked. `checksumValid` is absent for 'not-computed'.
   */
  checksumStatus?: ChecksumStatus;
  /** The bytes after the 8-byte header (a view). */
  payload: Buffer;
  /** True when the data ends before the datagram does. */
  truncated: boolean;
}

/**
 * Decodes a UDP-Lite header; `data` is the whole IP payload, whose length is the datagram's.
 * @example const lite = decodeUdpLite(ip.payload, { source: ip.source, destination: ip.destination }); // lite.ok && lite.coverage
 */
export function decodeUdpLite(data: Uint8Array, context?: TransportContext): Decoded<UdpLiteHeader> {
  const b = asBuffer(data);
  if (b.length < 8) return fail('udplite', 'truncated', b.length, `UDP-Lite header needs 8 bytes, got ${b.length}`);
  const coverage = b.readUInt16BE(4);
  const datagramLength = context?.segmentLength ?? b.length;
  if (coverage !== 0 && coverage < 8) {
    return fail('udplite', 'malformed', 4, `UDP-Lite checksum coverage ${coverage} is below the header size 8`);
  }
  if (coverage > datagramLength) {
    return fail(
      'udplite',
      'malformed',
      4,
      `UDP-Lite checksum coverage ${coverage} exceeds the datagram length ${datagramLength}`,
    );
  }
  const coveredLength = coverage === 0 ? datagramLength : coverage;
  const checksum = b.readUInt16BE(6);
  const pseudo = pseudoAddresses(context);
  let checksumValid: boolean | undefined;
  if (pseudo && coveredLength <= b.length && Number.isFinite(datagramLength) && !context?.checksumNotComputed) {
    checksumValid =
      checksum !== 0 &&
      verifyTransportChecksum({
        source: pseudo.source,
        destination: pseudo.destination,
        protocol: IPPROTO_UDPLITE,
        // The pseudo-header length is the datagram's, so pass the whole datagram when it is there;
        // a datagram cut after the covered bytes still verifies with the stated length.
        segment: datagramLength <= b.length ? b.subarray(0, datagramLength) : b,
        coverage: coveredLength,
        ...(datagramLength > b.length ? { length: datagramLength } : {}),
      });
  }
  return {
    ok: true,
    layer: 'udplite',
    sourcePort: b.readUInt16BE(0),
    destinationPort: b.readUInt16BE(2),
    coverage,
    coveredLength,
    partialCoverage: coverage !== 0 && coverage < datagramLength,
    checksum,
    ...checksumFields(context, checksumValid),
    payload: b.subarray(8, Math.min(datagramLength, b.length)),
    truncated: datagramLength > b.length,
  };
}
