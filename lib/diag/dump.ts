// One NETLINK_SOCK_DIAG dump over the foundation's SocketHandle: send the request to the kernel,
// collect the multipart answer until NLMSG_DONE, turn NLMSG_ERROR into a Node-style error.
import { constants as osConstants } from 'node:os';
import { messageCount, messageEntry } from '../core/batch-layout.js';
import { systemError } from '../errors.js';
import { constants, native } from '../native.js';
import {
  DiagParseError,
  encodeMessage,
  LITTLE_ENDIAN,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  parseErrorCode,
  parseMessages,
  viewOf,
} from './netlink.js';

export interface DumpRequest {
  type: number;
  flags: number;
  body: Uint8Array;
}

export interface DumpOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
}

/**
 * A receive slot per datagram. The kernel sizes a dump's datagrams from the reader's buffer, up
 * to 32 KiB (netlink_recvmsg), but one socket's answer may be larger than that (a packet socket
 * with a 4096-instruction filter carries 32 KiB of it): 128 KiB holds any single answer.
 */
const SLOT_SIZE = 128 * 1024;
const SLOTS = 4;

let sequence = Math.floor(Math.random() * 0x7fffffff);

/** struct sockaddr_nl of the kernel: family AF_NETLINK, pid 0, groups 0 (12 bytes). */
function kernelAddress(): Uint8Array {
  const out = new Uint8Array(12);
  viewOf(out).setUint16(0, constants.AF_NETLINK, LITTLE_ENDIAN);
  return out;
}

/**
 * Runs one dump and resolves with the payload of every answer of type `request.type`, in the
 * kernel's order. Rejects with the kernel's errno (code, errno, syscall) when it refuses.
 */
export function sockDiagDump(request: DumpRequest, options: DumpOptions = {}): Promise<Uint8Array[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise<Uint8Array[]>((resolve, reject) => {
    let handle: ReturnType<typeof open>;
    try {
      handle = open();
    } catch (error) {
      reject(error);
      return;
    }
    sequence = (sequence + 1) & 0x7fffffff;
    const seq = sequence;
    const payloads: Uint8Array[] = [];
    let settled = false;
    const finish = (error: unknown, value?: Uint8Array[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      handle.close();
      if (error) reject(error);
      else resolve(value as Uint8Array[]);
    };
    const timer = setTimeout(() => {
      finish(
        Object.assign(new Error(`NETLINK_SOCK_DIAG: no complete answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
      );
    }, timeoutMs);

    handle.onError = (error) => finish(error);
    handle.onMessages = (data, meta) => {
      try {
        for (let i = 0; i < messageCount(meta); i++) {
          const { dataOffset: offset, captured, flags } = messageEntry(meta, i);
          if (flags & constants.MSG_TRUNC) {
            throw new DiagParseError(`netlink: an answer did not fit the ${SLOT_SIZE}-byte receive buffer`);
          }
          if (offset + captured > data.length) throw new DiagParseError('netlink: receive metadata out of range');
          for (const message of parseMessages(data.subarray(offset, offset + captured))) {
            if (message.seq !== seq) continue; // not an answer to this request
            if (message.type === NLMSG_NOOP) continue;
            if (message.type === NLMSG_ERROR) {
              const errno = parseErrorCode(message.payload);
              if (errno === 0) continue; // an acknowledgement
              finish(systemError(errno, 'sendmsg', 'the kernel refused the NETLINK_SOCK_DIAG request'));
              return false;
            }
            if (message.type === NLMSG_OVERRUN) throw new DiagParseError('netlink: the kernel reported an overrun');
            if (message.type === NLMSG_DONE) {
              // A dump's NLMSG_DONE carries its final status (netlink_dump_done).
              const errno = message.payload.length >= 4 ? parseErrorCode(message.payload) : 0;
              if (errno > 0) finish(systemError(errno, 'recvmsg', 'the NETLINK_SOCK_DIAG dump failed'));
              else finish(undefined, payloads);
              return false;
            }
            if (message.type === request.type) payloads.push(message.payload);
          }
        }
      } catch (error) {
        finish(error);
        return false;
      }
      return true;
    };

    try {
      handle.startReceiving({ slots: SLOTS, slotSize: SLOT_SIZE, flags: constants.MSG_TRUNC, budget: 8 });
      const sent = handle.send(encodeMessage(request.type, request.flags, seq, request.body), kernelAddress());
      // Messages to the kernel are handled synchronously in sendmsg: a full buffer cannot happen,
      // but say so rather than wait forever if it ever does.
      if (sent < 0) finish(systemError(osConstants.errno.EAGAIN, 'sendmsg', 'netlink socket buffer full'));
    } catch (error) {
      finish(error);
    }
  });
}

function open() {
  return new native.SocketHandle(constants.AF_NETLINK, constants.SOCK_RAW, constants.NETLINK_SOCK_DIAG);
}
