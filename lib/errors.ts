// Errors with the shapes and codes Node users already know from node:fs, node:net and node:dgram.
// Free of the addon at import time (the pure-JS entry points use these helpers): only
// systemError() needs it, and it is only called where a socket has loaded it already.
import { addon } from './core/addon.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const name = value.constructor?.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  let shown = String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

/** TypeError with code ERR_INVALID_ARG_TYPE, worded like Node's own. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`);
  return Object.assign(error, { code: 'ERR_INVALID_ARG_TYPE' });
}

/** RangeError with code ERR_OUT_OF_RANGE, worded like Node's own. */
export function outOfRange(name: string, range: string, actual: unknown): RangeError {
  const shown = typeof actual === 'string' ? `'${actual}'` : String(actual);
  const error = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
  return Object.assign(error, { code: 'ERR_OUT_OF_RANGE' });
}

/** Error with code ERR_INVALID_ARG_VALUE for values of the right type that mean nothing. */
export function invalidArgValue(name: string, reason: string, actual: unknown): TypeError {
  const error = new TypeError(`The argument '${name}' ${reason}. Received ${describe(actual)}`);
  return Object.assign(error, { code: 'ERR_INVALID_ARG_VALUE' });
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
