/**
 * Reading classic pcap files: both magics (µs and ns) in both byte orders.
 */
import {
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
} from './format.js';
import { DEFAULT_SNAPLEN } from './writer.js';

/** One packet record of a pcap file. */
export interface PcapRecord {
  /** Capture time in nanoseconds since the Unix epoch (µs files: a multiple of 1000). */
  timestampNs: bigint;
  /** Bytes stored (`incl_len`). */
  capturedLength: number;
  /** Length of the packet on the wire (`orig_len`). */
  originalLength: number;
  /** The stored bytes (a view into the file's buffer). */
  data: Buffer;
}

/** Why reading stopped before the end of the buffer. */
export interface PcapProblem {
  /** `truncated`: the buffer ends inside a record (a capture that was cut off); `malformed`: a record length is impossible. */
  reason: 'truncated' | 'malformed';
  /** Offset of the bad record header in the buffer. */
  offset: number;
  /** A sentence for humans saying what is wrong. */
  message: string;
}

/** A parsed pcap file. */
export interface PcapFile {
  /** The link-type number (1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 101 raw IP, …). */
  linkType: number;
  /** The snap length in the global header: most bytes stored per packet. */
  snaplen: number;
  /** True for the 0xa1b23c4d (nanosecond) magic. */
  nanoseconds: boolean;
  /** Byte order the file was written in. */
  byteOrder: 'little' | 'big';
  /** Format version, major (2 in every file libpcap writes). */
  versionMajor: number;
  /** Format version, minor (4). */
  versionMinor: number;
  /** The records read, in file order. */
  packets: PcapRecord[];
  /** Present when reading stopped early; the records before it are in `packets`. */
  problem?: PcapProblem;
}

/**
 * Thrown by {@link readPcap} when the buffer does not start with a pcap global header.
 * @example
 * try {
 *   readPcap(await readFile('capture.pcapng'));
 * } catch (error) {
 *   if (error instanceof PcapFormatError) console.log('not a classic pcap file:', error.message);
 * }
 */
export class PcapFormatError extends Error {
  /** Always 'ERR_PCAP_FORMAT', to tell this error apart without instanceof. */
  readonly code = 'ERR_PCAP_FORMAT';
  /** 'PcapFormatError'. */
  override readonly name = 'PcapFormatError'; // as the other error classes: stacks say what it is
}

/**
 * Parses a whole pcap file held in memory. Throws {@link PcapFormatError} when the global header
 * is missing or has an unknown magic (pcapng is not read); a damaged or cut-off record ends the
 * packet list and is described in `problem`.
 * @example
 * const file = readPcap(await readFile('capture.pcap'));
 * for (const record of file.packets) console.log(record.timestampNs, decodePacket(record.data, { linkType: 'ethernet' }).ok);
 * if (file.problem) console.warn(file.problem.message);
 */
export function readPcap(data: Uint8Array): PcapFile {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < PCAP_GLOBAL_HEADER_LENGTH) {
    throw new PcapFormatError(`a pcap file starts with a 24-byte header, got ${b.length} bytes`);
  }
  let byteOrder: 'little' | 'big';
  let nanoseconds: boolean;
  const little = b.readUInt32LE(0);
  const big = b.readUInt32BE(0);
  if (little === PCAP_MAGIC_MICROSECONDS || little === PCAP_MAGIC_NANOSECONDS) {
    byteOrder = 'little';
    nanoseconds = little === PCAP_MAGIC_NANOSECONDS;
  } else if (big === PCAP_MAGIC_MICROSECONDS || big === PCAP_MAGIC_NANOSECONDS) {
    byteOrder = 'big';
    nanoseconds = big === PCAP_MAGIC_NANOSECONDS;
  } else {
    throw new PcapFormatError(`unknown pcap magic 0x${big.toString(16).padStart(8, '0')}`);
  }
  const u32 = (offset: number): number => (byteOrder === 'little' ? b.readUInt32LE(offset) : b.readUInt32BE(offset));
  const u16 = (offset: number): number => (byteOrder === 'little' ? b.readUInt16LE(offset) : b.readUInt16BE(offset));
  const snaplen = u32(16);
  const file: PcapFile = {
    // The upper 16 bits may carry FCS information (pcap-linktype(7)); the link type is the rest.
    linkType: u32(20) & 0x0fffffff,
    snaplen,
    nanoseconds,
    byteOrder,
    versionMajor: u16(4),
    versionMinor: u16(6),
    packets: [],
  };
  // Like libpcap, accept records up to the larger of the snap length and its own maximum.
  const maxCaptured = Math.max(snaplen, DEFAULT_SNAPLEN);
  const unit = nanoseconds ? 1n : 1000n;
  let offset = PCAP_GLOBAL_HEADER_LENGTH;
  while (offset < b.length) {
    if (offset + PCAP_RECORD_HEADER_LENGTH > b.length) {
      file.problem = { reason: 'truncated', offset, message: 'the file ends inside a record header' };
      break;
    }
    const capturedLength = u32(offset + 8);
    const originalLength = u32(offset + 12);
    if (capturedLength > maxCaptured) {
      file.problem = {
        reason: 'malformed',
        offset,
        message: `captured length ${capturedLength} exceeds the maximum ${maxCaptured}`,
      };
      break;
    }
    const start = offset + PCAP_RECORD_HEADER_LENGTH;
    if (start + capturedLength > b.length) {
      file.problem = { reason: 'truncated', offset, message: 'the file ends inside a record' };
      break;
    }
    file.packets.push({
      timestampNs: BigInt(u32(offset)) * 1_000_000_000n + BigInt(u32(offset + 4)) * unit,
      capturedLength,
      originalLength,
      data: b.subarray(start, start + capturedLength),
    });
    offset = start + capturedLength;
  }
  return file;
}
