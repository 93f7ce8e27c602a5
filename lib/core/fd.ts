// Turning the things users hold (a number, a net.Socket, a dgram.Socket, a rawsock socket) into
// the descriptor the kernel knows.
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket as NetSocket } from 'node:net';
import { invalidArgType, outOfRange, socketClosed } from '../errors.js';

/**
 * Anything rawsock can apply a socket option to: a descriptor number, a connected or bound
 * `net.Socket` / `dgram.Socket`, or a rawsock socket.
 * @example setCongestion(netSocket, 'bbr'); getsockopt(udpLiteSocket, constants.SOL_SOCKET, constants.SO_RCVBUF, 'int');
 */
export type SocketTarget =
  | number
  | {
      /** An open descriptor, as rawsock's own sockets expose it. */
      readonly fd: number;
    }
  | NetSocket
  | DgramSocket
  | NodeSocketLike;

/** The part of net.Socket / dgram.Socket we rely on: `_handle.fd` (undocumented, feature-tested). */
export interface NodeSocketLike {
  /** True once the socket was destroyed: its descriptor is gone. */
  readonly destroyed?: boolean;
  /** The libuv handle; null once closed. */
  readonly _handle?: {
    /** The descriptor, negative or absent until the socket is bound or connected. */
    readonly fd?: number;
  } | null;
}

/** The descriptor behind `target`, checked to be a usable, open one. */
export function toFd(target: unknown, name = 'target'): number {
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < 0) outOfRangeFd(name, target);
    return target;
  }
  if (target === null || typeof target !== 'object') {
    throw invalidArgType(name, 'a file descriptor, a net.Socket or a dgram.Socket', target);
  }
  if ('_handle' in target || 'destroyed' in target) {
    const socket = target as NodeSocketLike;
    if (socket.destroyed) throw socketClosed('The socket has been destroyed and');
    const fd = socket._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      throw Object.assign(
        new Error(
          'The socket has no file descriptor yet: wait for it to connect (net.Socket "connect") or bind (dgram "listening")',
        ),
        { code: 'ERR_SOCKET_NO_FD' },
      );
    }
    return fd;
  }
  if ('fd' in target && typeof (target as { fd: unknown }).fd === 'number') {
    const fd = (target as { fd: number }).fd;
    if (fd < 0) throw socketClosed();
    return fd;
  }
  throw invalidArgType(name, 'a file descriptor, a net.Socket or a dgram.Socket', target);
}

function outOfRangeFd(name: string, value: number): never {
  throw outOfRange(name, 'a non-negative integer file descriptor', value);
}
