// One datagram to the kernel now, the per-datagram path of trySend() and of a lone send().
import { native } from '../native.js';

/**
 * sendmsg(2) of one datagram on the open descriptor `fd`, non-blocking: the bytes sent, or -1 when
 * the kernel has no room. Arguments that are null are left out of the native call (each one
 * present costs a type check there).
 */
export function sendNow(fd: number, data: Uint8Array, address: Uint8Array | null, control: Uint8Array | null): number {
  if (control !== null) return native.sendmsg(fd, data, address, control);
  return address === null ? native.sendmsg(fd, data) : native.sendmsg(fd, data, address);
}
