// The compiled addon, loaded at the first call that needs it. The socket classes get it eagerly
// through lib/native.ts; the pure-JS entry points (rawsock/bpf, rawsock/decode, rawsock/pcap) reach
// it only through addon(), from the few functions that need the kernel or libpcap (bpf.compile(),
// systemError()), so they import on any OS, with no addon file, and in a browser bundle.
import type { Native } from '../native.js';
import { nodeBuiltin } from './node-builtin.js';

let loaded: Native | undefined;

/**
 * The addon: a prebuild from prebuilds/ when one matches, else build/Release (node-gyp-build
 * decides), or the file RAWSOCK_ADDON names. Throws a clear Error off Linux.
 */
export function addon(): Native {
  loaded ??= load();
  return loaded;
}

function load(): Native {
  const host = (globalThis as { process?: NodeJS.Process }).process;
  if (host?.platform !== 'linux') {
    throw new Error(
      `rawsock works on Linux only: packet sockets, UDP-Lite and the other features it offers are Linux kernel interfaces (this is ${host?.platform ?? 'not Node.js'}); its pure-JS parts rawsock/bpf, rawsock/decode and rawsock/pcap work anywhere`,
    );
  }
  const { createRequire } = nodeBuiltin('node:module', 'the rawsock addon');
  const path = nodeBuiltin('node:path', 'the rawsock addon');
  const { fileURLToPath } = nodeBuiltin('node:url', 'the rawsock addon');
  const require = createRequire(import.meta.url);
  // This file is dist/core/addon.js: the package root, where build/ and prebuilds/ are, is two up.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  // RAWSOCK_ADDON names a specific build to load instead (scripts/test-sanitize.sh points it at
  // an AddressSanitizer build kept outside build/Release, so it never replaces the normal one).
  const override = host.env.RAWSOCK_ADDON;
  if (override) return require(path.resolve(override)) as Native;
  const loadBinding = require('node-gyp-build') as (dir: string) => Native;
  return loadBinding(root);
}
