// SCM_CREDENTIALS: the sender's pid, uid and gid that the kernel attaches to each datagram when the
// receiver set SO_PASSCRED (unix(7)). Parsed from the control bytes recvmmsg returned.
import { endianness } from 'node:os';
import { constants } from '../native.js';

/** Who sent a datagram, as the kernel vouches for it (struct ucred). */
export interface UnixCredentials {
  /** The sending process. */
  readonly pid: number;
  /** Its user id, as seen from the receiver's user namespace. */
  readonly uid: number;
  /** Its group id, as seen from the receiver's user namespace. */
  readonly gid: number;
}

const littleEndian = endianness() === 'LE';

// cmsghdr is { size_t cmsg_len; int cmsg_level; int cmsg_type; } and cmsg(3)'s CMSG_ALIGN rounds
// to sizeof(size_t): 8 bytes on 64-bit Linux, 4 on 32-bit.
const WORD = process.arch.endsWith('64') || process.arch === 's390x' ? 8 : 4;
const align = (n: number) => (n + WORD - 1) & ~(WORD - 1);
const HEADER = align(WORD + 8);
const UCRED = 12; // pid_t pid; uid_t uid; gid_t gid;

/**
 * Control buffer room for one SCM_CREDENTIALS message: CMSG_SPACE(sizeof(struct ucred)), 32 bytes
 * on x86-64. Nothing else fits, so descriptors someone passes with SCM_RIGHTS are closed by the
 * kernel (MSG_CTRUNC) instead of landing in this process.
 */
export const CREDENTIALS_CONTROL_SIZE = HEADER + align(UCRED);

function readLength(bytes: Buffer, at: number): number {
  if (WORD === 4) return littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
  return Number(littleEndian ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at));
}

/** The SCM_CREDENTIALS in `length` control bytes at `offset`, or undefined when there is none. */
export function parseCredentials(bytes: Buffer, offset: number, length: number): UnixCredentials | undefined {
  const end = offset + length;
  let at = offset;
  while (at + HEADER <= end) {
    const size = readLength(bytes, at);
    if (size < HEADER || at + size > end) return undefined; // every kernel length is checked first
    const level = littleEndian ? bytes.readInt32LE(at + WORD) : bytes.readInt32BE(at + WORD);
    const type = littleEndian ? bytes.readInt32LE(at + WORD + 4) : bytes.readInt32BE(at + WORD + 4);
    if (level === constants.SOL_SOCKET && type === constants.SCM_CREDENTIALS && size >= HEADER + UCRED) {
      const data = at + HEADER;
      return littleEndian
        ? { pid: bytes.readInt32LE(data), uid: bytes.readUInt32LE(data + 4), gid: bytes.readUInt32LE(data + 8) }
        : { pid: bytes.readInt32BE(data), uid: bytes.readUInt32BE(data + 4), gid: bytes.readUInt32BE(data + 8) };
    }
    at += align(size);
  }
  return undefined;
}
