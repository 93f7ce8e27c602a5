// Generic socket options on any descriptor or Node socket: what Node's API does not cover.

import { native } from '../native.js';
import { type SocketTarget, toFd } from './fd.js';
import { checkInteger, checkOneOf, invalidArgType } from './validate.js';

/** How to read an option's value: a C int, a NUL-terminated string, or the raw bytes. */
export type SockoptKind = 'int' | 'string' | 'bytes';

// A level or option name: a C int.
function checkInt(name: string, value: unknown): number {
  return checkInteger(name, value, -(2 ** 31), 2 ** 31 - 1);
}

/**
 * getsockopt(2) on a descriptor, `net.Socket` or `dgram.Socket`.
 * @example getsockopt(socket, constants.IPPROTO_TCP, constants.TCP_CONGESTION, 'string') // 'cubic'
 */
export function getsockopt(target: SocketTarget, level: number, name: number, kind: 'int'): number;
export function getsockopt(target: SocketTarget, level: number, name: number, kind: 'string', size?: number): string;
export function getsockopt(target: SocketTarget, level: number, name: number, kind: 'bytes', size?: number): Buffer;
export function getsockopt(
  target: SocketTarget,
  level: number,
  name: number,
  kind: SockoptKind,
  size?: number,
): number | string | Buffer {
  const fd = toFd(target);
  checkInt('level', level);
  checkInt('name', name);
  checkOneOf('kind', kind, ['int', 'string', 'bytes']);
  if (kind === 'int') return native.getsockopt(fd, level, name, 'int');
  if (kind === 'string') return native.getsockopt(fd, level, name, 'string', size);
  return native.getsockopt(fd, level, name, 'bytes', size);
}

/**
 * setsockopt(2): a number or boolean is passed as a C int, a string as its bytes (no NUL), a
 * Buffer/Uint8Array as is.
 * @example setsockopt(socket, constants.SOL_SOCKET, constants.SO_MARK, 42) // needs CAP_NET_ADMIN
 */
export function setsockopt(
  target: SocketTarget,
  level: number,
  name: number,
  value: number | boolean | string | Uint8Array,
): void {
  const fd = toFd(target);
  checkInt('level', level);
  checkInt('name', name);
  if (
    typeof value !== 'number' &&
    typeof value !== 'boolean' &&
    typeof value !== 'string' &&
    !(value instanceof Uint8Array)
  ) {
    throw invalidArgType('value', 'a number, boolean, string or Uint8Array', value);
  }
  native.setsockopt(fd, level, name, value);
}
