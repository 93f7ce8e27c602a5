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

/**
 * A byte-or-int cmsg: IP_TOS arrives as one byte (ip(7) IP_RECVTOS: "the TOS byte"), while
 * IPV6_TCLASS and UDP_GRO carry an int; undefined when empty.
 */
export function controlSmallInt(message: ControlMessage): number | undefined {
  if (message.data.length >= 4) return readInt(message.data);
  return message.data.length >= 1 ? (message.data[0] as number) : undefined;
}

/** A control message to send: level, type and its data. */
export interface OutgoingControlMessage {
  level: number;
  type: number;
  data: Uint8Array;
}

/** An int as cmsg data (IP_TTL, IPV6_HOPLIMIT, IPV6_TCLASS, IP_TOS on send), in host order. */
export function intData(value: number): Buffer {
  const out = Buffer.alloc(4);
  if (littleEndian) out.writeInt32LE(value, 0);
  else out.writeInt32BE(value, 0);
  return out;
}

/** A uint16 as cmsg data (UDP_SEGMENT: the segment size is a u16), in host order. */
export function uint16Data(value: number): Buffer {
  const out = Buffer.alloc(2);
  if (littleEndian) out.writeUInt16LE(value, 0);
  else out.writeUInt16BE(value, 0);
  return out;
}

/**
 * msg_control bytes for sendmsg: each message's header and data, padded to CMSG_SPACE (cmsg(3):
 * every cmsg starts at a multiple of CMSG_ALIGN, and cmsg_len is CMSG_LEN(data length)).
 */
export function encodeControlMessages(messages: readonly OutgoingControlMessage[]): Buffer {
  const space = (length: number) => Math.ceil((DATA_OFFSET + length) / ALIGNMENT) * ALIGNMENT;
  let total = 0;
  for (const m of messages) total += space(m.data.length);
  const out = Buffer.alloc(total);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (const m of messages) {
    const cmsgLength = DATA_OFFSET + m.data.length;
    if (ALIGNMENT === 8) view.setBigUint64(at, BigInt(cmsgLength), littleEndian);
    else view.setUint32(at, cmsgLength, littleEndian);
    view.setInt32(at + ALIGNMENT, m.level, littleEndian);
    view.setInt32(at + ALIGNMENT + 4, m.type, littleEndian);
    out.set(m.data, at + DATA_OFFSET);
    at += space(m.data.length);
  }
  return out;
}
