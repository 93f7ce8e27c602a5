/**
 * Shared result types of the decoders.
 *
 * Every decoder takes untrusted bytes. It never throws and never reads past the end of its input:
 * a short or inconsistent header gives `{ ok: false, error }` naming the layer, what is wrong and
 * where. A header that is complete but whose payload was cut short (a capture's snap length, a
 * first fragment) decodes with `truncated: true` and a payload view of the bytes that are there.
 */

/** The protocol layer a decoder handles. */
export type Layer =
  | 'ethernet'
  | 'vlan'
  | 'linux-sll'
  | 'linux-sll2'
  | 'ipv4'
  | 'ipv6'
  | 'udp'
  | 'udplite'
  | 'tcp'
  | 'icmp'
  | 'icmpv6';

/**
 * What is wrong with a header:
 * - `truncated`: the input ends before the header does;
 * - `malformed`: a field contradicts the wire format (bad version, length smaller than the header,
 *   option running past its header, UDP-Lite coverage below 8, …).
 */
export type DecodeReason = 'truncated' | 'malformed';

/** Why a layer could not be decoded. */
export interface DecodeError {
  /** The layer whose header is bad. */
  layer: Layer;
  /** 'truncated' or 'malformed' (see {@link DecodeReason}). */
  reason: DecodeReason;
  /**
   * Byte offset of the problem. Relative to the input of the per-layer decoder; `decodePacket`
   * reports it relative to the whole packet.
   */
  offset: number;
  /** A sentence for humans, e.g. "IPv4 header length 16 is below the minimum 20". */
  message: string;
}

/** A decoder's answer when the header cannot be decoded. */
export interface DecodeFailure {
  /** Always false: check it before reading any field. */
  ok: false;
  /** What is wrong and where. */
  error: DecodeError;
}

/** A decoder's answer: the header fields with `ok: true`, or what is wrong with `ok: false`. */
export type Decoded<T> =
  | ({
      /** The header was decoded: its fields are here. */
      ok: true;
    } & T)
  | DecodeFailure;

/** @internal Builds a failure. */
export function fail(layer: Layer, reason: DecodeReason, offset: number, message: string): DecodeFailure {
  return { ok: false, error: { layer, reason, offset, message } };
}

/**
 * @internal A Buffer view of the same memory (no copy). Decoders read only through Buffer's
 * checked accessors (readUInt8, readUInt16BE, …), which throw instead of returning `undefined`
 * past the end: together with the "never throws" property test this proves no read goes out of
 * bounds.
 */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * What a transport decoder may know from the IP layer below it. Without it a transport decoder
 * treats `data` as the whole segment and does not verify checksums that need the pseudo-header.
 */
export interface TransportContext {
  /** Source IP address (text or raw bytes) for the pseudo-header checksum. */
  source?: string | Uint8Array;
  /** Destination IP address (text or raw bytes) for the pseudo-header checksum. */
  destination?: string | Uint8Array;
  /**
   * The segment's full length according to the IP header, when `data` may be shorter (a capture
   * cut by its snap length, or a first fragment). Defaults to `data.length`.
   */
  segmentLength?: number;
  /**
   * The checksum field was left to offload and holds only the pseudo-header sum (the kernel's
   * CHECKSUM_PARTIAL, which a packet socket reports as TP_STATUS_CSUMNOTREADY): it is not
   * checked, and the status is 'not-computed'.
   */
  checksumNotComputed?: boolean;
}

/**
 * What a transport checksum says: 'valid' or 'bad' as computed from the bytes, or
 * 'not-computed' when the sender left it to offload (CHECKSUM_PARTIAL: locally sent traffic on
 * veth and loopback, or captured before the NIC filled it in). Absent when it cannot be checked
 * (no addresses, truncated) or there is none (a UDP checksum of 0 over IPv4).
 */
export type ChecksumStatus = 'valid' | 'bad' | 'not-computed';

/** @internal The status fields for a checksum verdict (undefined: unknown). */
export function checksumFields(
  context: TransportContext | undefined,
  valid: boolean | undefined,
): { checksumValid?: boolean; checksumStatus?: ChecksumStatus } {
  if (context?.checksumNotComputed) return { checksumStatus: 'not-computed' };
  if (valid === undefined) return {};
  return { checksumValid: valid, checksumStatus: valid ? 'valid' : 'bad' };
}
