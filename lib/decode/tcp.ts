/**
 * TCP headers (RFC 9293).
 *
 * Layout: ports, sequence number, acknowledgment number, data offset (header length in 32-bit
 * words) with the flag bits, window, checksum, urgent pointer, then options up to the data offset.
 */
import { IPPROTO_TCP, verifyTransportChecksum } from './checksum.js';
import { asBuffer, type ChecksumStatus, checksumFields, type Decoded, fail, type TransportContext } from './result.js';
import { pseudoAddresses } from './udp.js';

/** The TCP flag bits. */
export interface TcpFlags {
  /** FIN: the sender has no more data. */
  fin: boolean;
  /** SYN: synchronise sequence numbers (connection setup). */
  syn: boolean;
  /** RST: reset the connection. */
  rst: boolean;
  /** PSH: push buffered data to the application. */
  psh: boolean;
  /** ACK: the acknowledgment number is valid. */
  ack: boolean;
  /** URG: the urgent pointer is valid. */
  urg: boolean;
  /** ECN echo (RFC 3168). */
  ece: boolean;
  /** Congestion window reduced (RFC 3168). */
  cwr: boolean;
  /** The bit after the data offset's reserved bits: accurate ECN (formerly the ECN nonce, NS). */
  ae: boolean;
}

/** One TCP option (End of Option List and No-Operation are not listed). */
export interface TcpOption {
  /** Option kind: 2 MSS, 3 window scale, 4 SACK permitted, 5 SACK, 8 timestamps, … */
  kind: number;
  /** The option's data after its kind and length octets (a view). */
  data: Buffer;
}

/** A decoded TCP header. */
export interface TcpHeader {
  /** Always 'tcp'. */
  layer: 'tcp';
  /** Source port. */
  sourcePort: number;
  /** Destination port. */
  destinationPort: number;
  /** Sequence number (unsigned 32-bit). */
  sequence: number;
  /** Acknowledgment number (unsigned 32-bit; meaningful when `flags.ack`). */
  acknowledgment: number;
  /** Header length in bytes (data offset × 4), 20–60. */
  headerLength: number;
  /** The 12 bits after the data offset as a number (reserved bits, AE, CWR … FIN), as tshark's `tcp.flags`. */
  flagBits: number;
  /** The flag bits, one boolean each. */
  flags: TcpFlags;
  /** The window field, not scaled. */
  window: number;
  /** The checksum as stored. */
  checksum: number;
  /** Whether the checksum is right for the pseudo-header; absent when not checkable (no addresses, truncated). */
  checksumValid?: boolean;
  /**
   * 'valid', 'bad', or 'not-computed' (left to offload: see ChecksumStatus); absent when it
   * cannot be checked. `checksumValid` is absent for 'not-computed'.
   */
  checksumStatus?: ChecksumStatus;
  /** Urgent pointer: offset of the end of urgent data (meaningful when `flags.urg`). */
  urgentPointer: number;
  /** Bytes of options (headerLength − 20). */
  optionsLength: number;
  /** Options in order, up to the first malformed one. */
  options: TcpOption[];
  /**
   * True when an option's length does not fit; the options before it are listed. Like the
   * kernel's tcp_parse_options, the segment is still decoded.
   */
  optionsMalformed: boolean;
  /** The payload (a view). */
  payload: Buffer;
  /** True when the data ends before the segment does (only known with `context.segmentLength`). */
  truncated: boolean;
}

/**
 * Decodes a TCP header; with addresses in `context` it also verifies the checksum.
 * @example
 * const tcp = decodeTcp(ip.payload, { source: ip.source, destination: ip.destination, segmentLength: ip.totalLength - ip.headerLength });
 * if (tcp.ok && tcp.flags.syn && !tcp.flags.ack) console.log('connection attempt to port', tcp.destinationPort);
 */
export function decodeTcp(data: Uint8Array, context?: TransportContext): Decoded<TcpHeader> {
  const b = asBuffer(data);
  const segmentLength = context?.segmentLength ?? b.length;
  if (b.length < 20) {
    const reason = segmentLength < 20 ? 'malformed' : 'truncated';
    return fail('tcp', reason, b.length, `TCP header needs at least 20 bytes, got ${b.length}`);
  }
  const offsetAndFlags = b.readUInt16BE(12);
  const headerLength = (offsetAndFlags >> 12) * 4;
  if (headerLength < 20) {
    return fail('tcp', 'malformed', 12, `TCP data offset gives ${headerLength} bytes, below the minimum 20`);
  }
  if (headerLength > segmentLength) {
    return fail('tcp', 'malformed', 12, `TCP header length ${headerLength} exceeds the ${segmentLength}-byte segment`);
  }
  if (headerLength > b.length) {
    return fail(
      'tcp',
      'truncated',
      b.length,
      `TCP header length ${headerLength} runs past the ${b.length} bytes given`,
    );
  }
  const options: TcpOption[] = [];
  let optionsMalformed = false;
  for (let i = 20; i < headerLength; ) {
    const kind = b.readUInt8(i);
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = i + 1 < headerLength ? b.readUInt8(i + 1) : 0;
    if (length < 2 || i + length > headerLength) {
      optionsMalformed = true;
      break;
    }
    options.push({ kind, data: b.subarray(i + 2, i + length) });
    i += length;
  }
  const flagBits = offsetAndFlags & 0x0fff;
  const truncated = segmentLength > b.length;
  const pseudo = pseudoAddresses(context);
  const end = Math.min(segmentLength, b.length);
  const checksum = b.readUInt16BE(16);
  return {
    ok: true,
    layer: 'tcp',
    sourcePort: b.readUInt16BE(0),
    destinationPort: b.readUInt16BE(2),
    sequence: b.readUInt32BE(4),
    acknowledgment: b.readUInt32BE(8),
    headerLength,
    flagBits,
    flags: {
      fin: (flagBits & 0x001) !== 0,
      syn: (flagBits & 0x002) !== 0,
      rst: (flagBits & 0x004) !== 0,
      psh: (flagBits & 0x008) !== 0,
      ack: (flagBits & 0x010) !== 0,
      urg: (flagBits & 0x020) !== 0,
      ece: (flagBits & 0x040) !== 0,
      cwr: (flagBits & 0x080) !== 0,
      ae: (flagBits & 0x100) !== 0,
    },
    window: b.readUInt16BE(14),
    checksum,
    ...checksumFields(
      context,
      pseudo && !truncated && !context?.checksumNotComputed
        ? verifyTransportChecksum({
            source: pseudo.source,
            destination: pseudo.destination,
            protocol: IPPROTO_TCP,
            segment: b.subarray(0, end),
          })
        : undefined,
    ),
    urgentPointer: b.readUInt16BE(18),
    optionsLength: headerLength - 20,
    options,
    optionsMalformed,
    payload: b.subarray(headerLength, end),
    truncated,
  };
}
