// Node's built-in modules for the code of the pure-JS entry points (rawsock/bpf, rawsock/decode,
// rawsock/pcap). A static `import ... from 'node:fs'` would make those entries fail to bundle for
// a browser and to load in any runtime without that module, although most of their functions need
// none; process.getBuiltinModule (Node >= 20.16) hands the module over at the call that needs it.
import type * as fs from 'node:fs';
import type * as module from 'node:module';
import type * as path from 'node:path';
import type * as url from 'node:url';

interface Builtins {
  'node:fs': typeof fs;
  'node:module': typeof module;
  'node:path': typeof path;
  'node:url': typeof url;
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
