// Errors with the shapes and codes Node users already know from node:fs, node:net and node:dgram.
// Free of the addon at import time (the pure-JS entry points use these helpers): only
// systemError() needs it, and it is only called where a socket has loaded it already.
import { addon } from './core/addon.js';

// The argument errors live with the validators (addon-free); re-exported for existing imports.
export { invalidArgType, invalidArgValue, outOfRange } from './core/validate.js';

/** remoteAddress() of a socket that is not connected, as node:dgram says it. */
export function notConnected(): Error {
  return Object.assign(new Error('Not connected'), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
}

/** Use of a socket after close(). */
export function socketClosed(what = 'Socket'): Error {
  return Object.assign(new Error(`${what} is closed`), { code: 'ERR_SOCKET_CLOSED' });
}

/**
 * A system error exactly like Node's ("ECONNREFUSED: connection refused, connect"), optionally
 * with an explanation appended; `code`, `errno` and `syscall` are kept.
 */
export function systemError(errno: number, syscall: string, explanation?: string): NodeJS.ErrnoException {
  const error = addon().errnoError(errno, syscall);
  if (explanation) error.message = `${error.message}: ${explanation}`;
  return error;
}

/** Adds an explanation to a system error thrown by the native layer, keeping its properties. */
export function explain(error: unknown, explanation: string): unknown {
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') {
    error.message = `${error.message}: ${explanation}`;
  }
  return error;
}

/** True for a Node-style system error with this code. */
export function hasCode(error: unknown, code: string): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
