// Receive coalescing of the recvmmsg sockets (UDP, UDP-Lite): after a read that emptied the
// kernel's queue, reading rests for a moment, so a busy socket is read in large batches rather
// than one wake-up (epoll, a callback into JS, a promise) per few datagrams.
//
// The default, 'auto', rests 1 ms and only after a wake-up that found more than one datagram:
// the sign that datagrams come faster than one wake-up each. A socket that gets one datagram at a
// time (a request, a reply) is read at once as before, with no added delay. Measured at the
// sender's full rate (bench/udplite, 1M x 64 B): the 'message' loop fell from 2,902 to 865 ns per
// datagram with 1 ms rests, against 1,346 for a C recvmmsg loop, none lost with a 4 MiB buffer.
import { checkInteger, invalidArgType } from './validate.js';

/** Milliseconds to rest after a read that emptied the queue (0: never), or 'auto'. */
export type CoalesceOption = number | 'auto';

/** The rest 'auto' takes on a busy socket. */
export const AUTO_COALESCE_MS = 1;

/** Checks a `coalesceMs` option (undefined: 'auto'). */
export function checkCoalesce(name: string, value: unknown, max: number): CoalesceOption {
  if (value === undefined || value === 'auto') return 'auto';
  if (typeof value !== 'number') throw invalidArgType(name, "a number of milliseconds or 'auto'", value);
  return checkInteger(name, value, 0, max);
}

/** What the native reader takes for it (src-native/socket_handle.h). */
export function coalesceReceiveOptions(option: CoalesceOption): { coalesceMs: number; coalesceBusyOnly: boolean } {
  return option === 'auto'
    ? { coalesceMs: AUTO_COALESCE_MS, coalesceBusyOnly: true }
    : { coalesceMs: option, coalesceBusyOnly: false };
}
