// One netlink request over the foundation's SocketHandle: send it to the kernel, collect the
// multipart answer until NLMSG_DONE (a dump) or the acknowledgement (a change asked with
// NLM_F_ACK), turn NLMSG_ERROR into a Node-style error. NETLINK_SOCK_DIAG (lib/diag) and
// NETLINK_ROUTE (lib/rtnetlink) both go through it.
import { constants as osConstants } from 'node:os';
import { messageCount, messageEntry } from '../core/batch-layout.js';
import { systemError } from '../errors.js';
import { constants, native } from '../native.js';
import {
  DiagParseError,
  encodeMessage,
  LITTLE_ENDIAN,
  NLM_F_DUMP,
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

/** Which netlink family a request goes to and what its answers look like. */
export interface NetlinkExchange {
  /** The netlink protocol (socket()'s third argument): NETLINK_SOCK_DIAG 4, NETLINK_ROUTE 0. */
  protocol: number;
  /** The family's name for error messages ('NETLINK_SOCK_DIAG'). */
  name: string;
  /** Message type of the answers to keep (default the request's type, as sock_diag answers). */
  answerType?: number;
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
  return netlinkRequest({ protocol: constants.NETLINK_SOCK_DIAG, name: 'NETLINK_SOCK_DIAG' }, request, options);
}

/**
 * Sends one request to the kernel over a fresh netlink socket of `exchange.protocol` and resolves
 * with the payload of every answer of the expected type, in the kernel's order: at NLMSG_DONE for
 * a dump (NLM_F_DUMP), at the acknowledgement for anything else (which must ask for one with
 * NLM_F_ACK). Rejects with the kernel's errno (code, errno, syscall) when it refuses.
 */
export function netlinkRequest(
  exchange: NetlinkExchange,
  request: DumpRequest,
  options: DumpOptions = {},
): Promise<Uint8Array[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const { name } = exchange;
  const answerType = exchange.answerType ?? request.type;
  const dump = (request.flags & NLM_F_DUMP) === NLM_F_DUMP;
  return new Promise<Uint8Array[]>((resolve, reject) => {
    let handle: ReturnType<typeof open>;
    try {
      handle = open(exchange.protocol);
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
      finish(Object.assign(new Error(`${name}: no complete answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
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
              if (errno === 0) {
                // An acknowledgement: the end of a change; a dump ends with NLMSG_DONE instead.
                if (dump) continue;
                finish(undefined, payloads);
                return false;
              }
              finish(systemError(errno, 'sendmsg', `the kernel refused the ${name} request`));
              return false;
            }
            if (message.type === NLMSG_OVERRUN) throw new DiagParseError('netlink: the kernel reported an overrun');
            if (message.type === NLMSG_DONE) {
              // A dump's NLMSG_DONE carries its final status (netlink_dump_done).
              const errno = message.payload.length >= 4 ? parseErrorCode(message.payload) : 0;
              if (errno > 0) finish(systemError(errno, 'recvmsg', `the ${name} dump failed`));
              else finish(undefined, payloads);
              return false;
            }
            if (message.type === answerType) payloads.push(message.payload);
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

function open(protocol: number) {
  return new native.SocketHandle(constants.AF_NETLINK, constants.SOCK_RAW, protocol);
}
