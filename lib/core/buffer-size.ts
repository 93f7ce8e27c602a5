// Kernel socket buffer sizes (socket(7) SO_RCVBUF / SO_SNDBUF), set the same way on every rawsock
// socket: the FORCE variant first (CAP_NET_ADMIN in the socket's network namespace lifts the
// net.core.[rw]mem_max cap), the capped one when that is refused (EPERM).
import { hasCode } from '../errors.js';
import { constants, native } from '../native.js';
import { checkBufferSize } from './validate.js';

/** Which of a socket's two buffers. */
export type BufferKind = 'receive' | 'send';

/** The kernel's value: twice what was asked for, as socket(7) says it keeps room for bookkeeping. */
export function getBufferSize(fd: number, kind: BufferKind): number {
  const name = kind === 'receive' ? constants.SO_RCVBUF : constants.SO_SNDBUF;
  return native.getsockopt(fd, constants.SOL_SOCKET, name, 'int');
}

/** Asks for `bytes` (checked: 1..2^30), uncapped when allowed, else capped at net.core.[rw]mem_max. */
export function setBufferSize(fd: number, kind: BufferKind, bytes: unknown, name = `${kind}BufferSize`): void {
  const value = checkBufferSize(name, bytes);
  const [force, plain] =
    kind === 'receive'
      ? [constants.SO_RCVBUFFORCE, constants.SO_RCVBUF]
      : [constants.SO_SNDBUFFORCE, constants.SO_SNDBUF];
  try {
    native.setsockopt(fd, constants.SOL_SOCKET, force, value);
  } catch (error) {
    if (!hasCode(error, 'EPERM')) throw error;
    native.setsockopt(fd, constants.SOL_SOCKET, plain, value);
  }
}
