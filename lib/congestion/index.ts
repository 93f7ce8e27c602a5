// TCP congestion control: per socket (TCP_CONGESTION, tcp(7)) and the namespace-wide default.

import { type SocketTarget, toFd } from '../core/fd.js';
import { checkString, outOfRange } from '../core/validate.js';
import { hasCode } from '../errors.js';
import { constants, native } from '../native.js';
import { readSysctl, readSysctlList, writeSysctl } from './proc.js';

/** TCP_CA_NAME_MAX is 16 bytes including the terminating NUL. */
const NAME_MAX_BYTES = 15;

function checkName(value: unknown): string {
  const name = checkString('name', value);
  const bytes = Buffer.byteLength(name);
  if (bytes < 1 || bytes > NAME_MAX_BYTES) {
    throw outOfRange('name', `1 to ${NAME_MAX_BYTES} bytes long (TCP_CA_NAME_MAX is 16 with the NUL)`, name);
  }
  return name;
}

/**
 * The congestion control algorithm of a TCP socket: a connected or accepted `net.Socket`, or a
 * descriptor.
 * @example getCongestion(socket) // 'cubic'
 */
export function getCongestion(target: SocketTarget): string {
  const fd = toFd(target);
  return native.getsockopt(fd, constants.IPPROTO_TCP, constants.TCP_CONGESTION, 'string', 16);
}

/**
 * Switches a TCP socket to another congestion control algorithm (setsockopt TCP_CONGESTION).
 *
 * The kernel answers ENOENT when no such algorithm is available (nor loadable), and EPERM when
 * the algorithm is not in tcp_allowed_congestion_control and the caller lacks CAP_NET_ADMIN; the
 * errors thrown keep `code`, `errno` and `syscall` and say which list to look at.
 * @example setCongestion(socket, 'reno')
 */
export function setCongestion(target: SocketTarget, name: string): void {
  const fd = toFd(target);
  checkName(name);
  try {
    native.setsockopt(fd, constants.IPPROTO_TCP, constants.TCP_CONGESTION, name);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) {
      error.message += `: unknown congestion control algorithm '${name}' (available: ${availableCongestion().join(', ')})`;
    } else if (hasCode(error, 'EPERM')) {
      error.message +=
        `: '${name}' is not in /proc/sys/net/ipv4/tcp_allowed_congestion_control ` +
        `(allowed: ${allowedCongestion().join(', ')}); other algorithms need CAP_NET_ADMIN`;
    }
    throw error;
  }
}

/**
 * Algorithms the kernel has loaded (tcp_available_congestion_control).
 * @example availableCongestion() // ['reno', 'cubic']
 */
export function availableCongestion(): string[] {
  return readSysctlList('tcp_available_congestion_control');
}

/**
 * Algorithms unprivileged sockets may choose (tcp_allowed_congestion_control).
 * @example if (allowedCongestion().includes('bbr')) setCongestion(socket, 'bbr');
 */
export function allowedCongestion(): string[] {
  return readSysctlList('tcp_allowed_congestion_control');
}

/**
 * The default for new connections in this network namespace (tcp_congestion_control).
 * @example systemCongestion() // 'cubic'
 */
export function systemCongestion(): string {
  return readSysctl('tcp_congestion_control');
}

/**
 * Sets the default for new connections in this network namespace (needs CAP_NET_ADMIN there;
 * inside `unshare --user --map-root-user --net` a normal user has it and the host is untouched).
 * @example setSystemCongestion('bbr') // in a network namespace of your own
 */
export function setSystemCongestion(name: string): void {
  checkName(name);
  try {
    writeSysctl('tcp_congestion_control', name);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) {
      error.message += `: unknown congestion control algorithm '${name}' (available: ${availableCongestion().join(', ')})`;
    }
    throw error;
  }
}
