// Argument checks, once for all of rawsock, with the error objects and wording Node's own
// validators use (lib/internal/validators.js, lib/internal/errors.js): a caller who branches on
// `code` or reads a message sees what node:dgram or node:net would have given. Free of the addon,
// so the pure modules (lib/bpf, lib/decode, lib/pcap) can use it too.
// inspect() without a static node:util import, so the pure modules also bundle for a browser.
import { inspect } from './node-builtin.js';

// Node: a dotted name ('options.port') is a property, anything else an argument.
function kind(name: string): 'property' | 'argument' {
  return name.includes('.') ? 'property' : 'argument';
}

/** How Node's ERR_INVALID_ARG_TYPE shows the value it received. */
function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === 'function') return `Received function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `Received an instance of ${name}` : `Received ${inspect(value, { depth: -1 })}`;
  }
  // Node cuts a long string to 25 characters before quoting it; other primitives are shown whole.
  const text = typeof value === 'string' && value.length > 25 ? `${value.slice(0, 25)}...` : value;
  return `Received type ${typeof value} (${inspect(text, { colors: false })})`;
}

/** How Node's ERR_OUT_OF_RANGE shows the value: large integers with separators ('4_294_967_297'). */
function describeRange(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) {
    return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, '_');
  }
  return inspect(value);
}

/**
 * TypeError with code ERR_INVALID_ARG_TYPE, worded like Node's own: `expected` completes
 * "must be …" ('of type number', 'an instance of AbortSignal').
 */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const error = new TypeError(`The "${name}" ${kind(name)} must be ${expected}. ${describeReceived(actual)}`);
  return Object.assign(error, { code: 'ERR_INVALID_ARG_TYPE' });
}

/** TypeError with code ERR_INVALID_ARG_VALUE, for a value of the right type that means nothing here. */
export function invalidArgValue(name: string, reason: string, actual: unknown): TypeError {
  let shown = inspect(actual);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const error = new TypeError(`The ${kind(name)} '${name}' ${reason}. Received ${shown}`);
  return Object.assign(error, { code: 'ERR_INVALID_ARG_VALUE' });
}

/** RangeError with code ERR_OUT_OF_RANGE, worded like Node's own: `range` completes "It must be …". */
export function outOfRange(name: string, range: string, actual: unknown): RangeError {
  const error = new RangeError(
    `The value of "${name}" is out of range. It must be ${range}. Received ${describeRange(actual)}`,
  );
  return Object.assign(error, { code: 'ERR_OUT_OF_RANGE' });
}

/**
 * An integer in [min, max], as Node's validateInteger: not a number → ERR_INVALID_ARG_TYPE, a
 * fraction, NaN or Infinity → ERR_OUT_OF_RANGE 'an integer', outside → ERR_OUT_OF_RANGE '>= min && <= max'.
 * @example checkInteger('options.batchSize', 32, 1, 1024)
 */
export function checkInteger(
  name: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** A number in [min, max], fractions allowed, as Node's validateNumber (NaN is out of range). */
export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value) || value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** `value` if given (checked as checkInteger), else `fallback`. */
export function optionalInteger(name: string, value: unknown, fallback: number, min?: number, max?: number): number {
  return value === undefined ? fallback : checkInteger(name, value, min, max);
}

/** A port, 0..65535 (Node's validatePort words it differently; dgram's bind() accepts 0). */
export function checkPort(value: unknown, name = 'port'): number {
  return checkInteger(name, value, 0, 65535);
}

/** A boolean, as Node's validateBoolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** `value` if given (checked as checkBoolean), else `fallback`. */
export function optionalBoolean(name: string, value: unknown, fallback = false): boolean {
  return value === undefined ? fallback : checkBoolean(name, value);
}

/** A string, as Node's validateString. */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

/** A function, as Node's validateFunction. */
export function checkFunction(name: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as (...args: never[]) => unknown;
}

/**
 * One of `allowed` (compared with ===), as Node's validateOneOf: ERR_INVALID_ARG_VALUE
 * "must be one of: 'raw', 'cooked'".
 */
export function checkOneOf<const T extends string | number>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    const list = allowed.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
    throw invalidArgValue(name, `must be one of: ${list}`, value);
  }
  return value as T;
}

/** A kernel buffer size in bytes (SO_RCVBUF / SO_SNDBUF take an int; the kernel doubles it). */
export function checkBufferSize(name: string, value: unknown): number {
  return checkInteger(name, value, 1, 2 ** 30);
}

/**
 * An options object (undefined → `{}` when `optional`), as Node's validateObject; every own key
 * must be in `known`: a misspelt option ('recieveBufferSize') is an error, not silently ignored.
 * @example const o = checkOptions('options', options, ['family', 'batchSize'], 'UdpLiteSocket.create()');
 */
export function checkOptions(
  name: string,
  value: unknown,
  known: readonly string[],
  owner: string,
  optional = false,
): Record<string, unknown> {
  if (value === undefined && optional) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalidArgValue(`${name}.${key}`, `is not an option of ${owner}`, options[key]);
  }
  return options;
}
