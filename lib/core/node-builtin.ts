// Node's built-in modules for the code of the pure-JS entry points (rawsock/bpf, rawsock/decode,
// rawsock/pcap). A static `import ... from 'node:fs'` would make those entries fail to bundle for
// a browser and to load in any runtime without that module, although most of their functions need
// none; process.getBuiltinModule (Node >= 20.16) hands the module over at the call that needs it.
import type * as fs from 'node:fs';
import type * as module from 'node:module';
import type * as path from 'node:path';
import type * as url from 'node:url';
import type * as util from 'node:util';

interface Builtins {
  'node:fs': typeof fs;
  'node:module': typeof module;
  'node:path': typeof path;
  'node:url': typeof url;
  'node:util': typeof util;
}

/**
 * The built-in module `id`, or an Error with code 'ERR_RAWSOCK_NEEDS_NODE' naming `what` needs it
 * when this runtime is not Node (a browser bundle, say).
 */
export function nodeBuiltin<Id extends keyof Builtins>(id: Id, what: string): Builtins[Id] {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const found = host?.getBuiltinModule?.(id) as Builtins[Id] | undefined;
  if (found) return found;
  throw Object.assign(new Error(`${what} needs Node.js (${id}), which this runtime does not have`), {
    code: 'ERR_RAWSOCK_NEEDS_NODE',
  });
}

/** True when the host stores the low byte of a number first (every Linux platform Node runs on but s390x). */
export const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const nodeUtil = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:util') as typeof util | undefined;

/**
 * node:util's inspect() where there is one, so error messages show values exactly as Node's own
 * do; elsewhere (a browser bundle) a close plain rendering of primitives, arrays and objects.
 */
export function inspect(value: unknown, options?: util.InspectOptions): string {
  if (nodeUtil) return nodeUtil.inspect(value, options);
  return plain(value, options?.depth ?? 2);
}

function quote(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `\`${text}\``;
}

function plain(value: unknown, depth: number | null): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
    case 'object': {
      if (value === null) return 'null';
      const deeper = depth === null ? null : depth - 1;
      if (depth !== null && depth < 0) return Array.isArray(value) ? '[Array]' : '[Object]';
      if (Array.isArray(value)) {
        return value.length === 0 ? '[]' : `[ ${value.map((item) => plain(item, deeper)).join(', ')} ]`;
      }
      const entries = Object.entries(value).map(([key, item]) => `${key}: ${plain(item, deeper)}`);
      return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
    }
    default:
      return String(value);
  }
}
