// Control messages (cmsg(3)) as the kernel writes them after recvmsg: a run of struct cmsghdr
// { size_t cmsg_len; int cmsg_level; int cmsg_type; } each followed by its data, every one
// starting at a multiple of CMSG_ALIGN (sizeof(size_t)). Parsed here, bounds-checked, because the
// native readers hand JS the control bytes as the kernel left them.
import { endianness } from 'node:os';
import { constants } from '../native.js';

const littleEndian = endianness() === 'LE';
const DATA_OFFSET = constants.CMSG_DATA_OFFSET as number;
const ALIGNMENT = constants.CMSG_ALIGNMENT as number;

/** One control message: its level and type, and a view of its data. */
export interface ControlMessage {
  level: number;
  type: number;
  data: Buffer;
}

/** The cmsgs in `length` bytes of `bytes` from `offset`; a malformed tail ends the list. */
export function parseControlMessages(bytes: Buffer, offset: number, length: number): ControlMessage[] {
  const out: ControlMessage[] = [];
  const end = Math.min(offset + length, bytes.length);
  let at = offset;
  while (at + DATA_OFFSET <= end) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, DATA_OFFSET);
    const cmsgLength = ALIGNMENT === 8 ? Number(view.getBigUint64(0, littleEndian)) : view.getUint32(0, littleEndian);
    // A length shorter than the header or past the buffer (MSG_CTRUNC cut it) is not trusted.
    if (cmsgLength < DATA_OFFSET || at + cmsgLength > end) break;
    out.push({
      level: view.getInt32(ALIGNMENT, littleEndian),
      type: view.getInt32(ALIGNMENT + 4, littleEndian),
      data: bytes.subarray(at + DATA_OFFSET, at + cmsgLength),
    });
    at += Math.ceil(cmsgLength / ALIGNMENT) * ALIGNMENT;
  }
  return out;
}

/** An int cmsg (IP_TTL, IPV6_HOPLIMIT), or undefined when it is shorter than an int. */
export function controlInt(message: ControlMessage): number | undefined {
  return message.data.length >= 4 ? readInt(message.data) : undefined;
}

function readInt(data: Buffer): number {
  return littleEndian ? data.readInt32LE(0) : data.readInt32BE(0);
}

/**
 * SCM_TIMESTAMPNS (socket(7) SO_TIMESTAMPNS): a struct timespec of two 64-bit fields on 64-bit
 * Linux, as nanoseconds since the epoch (CLOCK_REALTIME); undefined when shorter.
 */
export function controlTimestampNs(message: ControlMessage): bigint | undefined {
  if (message.data.length < 16) return undefined;
  const seconds = littleEndian ? message.data.readBigInt64LE(0) : message.data.readBigInt64BE(0);
  const nanoseconds = littleEndian ? message.data.readBigInt64LE(8) : message.data.readBigInt64BE(8);
  return seconds * 1_000_000_000n + nanoseconds;
}
