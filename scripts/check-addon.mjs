#!/usr/bin/env node
// Checks the prebuilds a tarball is about to carry (scripts/prepack.mjs runs it):
// - prebuilds/linux-x64: this (x64) Node loads it, it exports the addon's interface, and a call
//   into it works (errnoError builds Node's ENOENT error);
// - prebuilds/linux-arm64: an ELF64 little-endian shared object for AArch64 (e_machine 183), and,
//   when the arm64 runtime of `npm run test:arm64` is installed, an arm64 Node under qemu-user
//   loads it with the same exports as the x64 one.
// One line per check; exits 1 when any failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { arm64Runtime, underQemu } from './arm64-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = (arch) => path.join(root, 'prebuilds', `linux-${arch}`, 'node.napi.glibc.node');
// What lib/native.ts and the socket classes call; a build missing one is not the package's addon.
const required = [
  'SocketHandle',
  'constants',
  'errnoError',
  'bind',
  'connect',
  'getsockname',
  'getpeername',
  'getsockopt',
  'setsockopt',
  'attachFilter',
  'packet',
  'pcapCompile',
];
// Loads the addon named by argv[1] and prints its exports and one call's result, as JSON.
const probe = [
  'const addon = require(process.argv[1]);',
  "const error = addon.errnoError(2, 'open');",
  'console.log(JSON.stringify({ exports: Object.keys(addon).sort(), code: error.code, syscall: error.syscall }));',
].join('\n');

let failures = 0;
function report(ok, name, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`);
  return ok;
}

/** Runs the probe with the Node command `argv` on the addon file `addon`. */
function load(argv, addon) {
  const result = spawnSync(argv[0], [...argv.slice(1), '-e', probe, addon], { encoding: 'utf8', timeout: 120_000 });
  try {
    return { ...JSON.parse(result.stdout), error: null };
  } catch {
    return {
      error: `${result.stderr || result.stdout}`.trim().split('\n').slice(-3).join(' | ') || `exit ${result.status}`,
    };
  }
}

function checkLoaded(name, loaded) {
  if (!report(!loaded.error, `${name} loads`, loaded.error ?? '')) return;
  const absent = required.filter((key) => !loaded.exports.includes(key));
  report(
    absent.length === 0,
    `${name} exports the addon's interface`,
    absent.length ? `missing ${absent.join(', ')}` : '',
  );
  report(
    loaded.code === 'ENOENT' && loaded.syscall === 'open',
    `${name}: errnoError(2, 'open') is ENOENT`,
    loaded.code,
  );
}

// ---- linux-x64 ----
let x64 = null;
if (report(existsSync(file('x64')), 'prebuilds/linux-x64 has node.napi.glibc.node') && process.arch === 'x64') {
  x64 = load([process.execPath], file('x64'));
  checkLoaded('linux-x64 prebuild', x64);
}

// ---- linux-arm64 ----
if (report(existsSync(file('arm64')), 'prebuilds/linux-arm64 has node.napi.glibc.node')) {
  const elf = readFileSync(file('arm64')).subarray(0, 20);
  const isElf = elf.subarray(0, 4).toString('latin1') === '\x7fELF';
  report(
    isElf && elf[4] === 2 && elf[5] === 1 && elf.readUInt16LE(16) === 3 && elf.readUInt16LE(18) === 183,
    'linux-arm64 prebuild is an ELF64 little-endian shared object for AArch64',
    isElf
      ? `class ${elf[4]}, data ${elf[5]}, type ${elf.readUInt16LE(16)}, machine ${elf.readUInt16LE(18)}`
      : 'not ELF',
  );
  const { qemu, missing } = arm64Runtime();
  if (missing.length) {
    console.log(`# linux-arm64 prebuild not loaded: no ${missing.join('; ')}`);
  } else {
    const arm64 = load(underQemu(qemu, []), file('arm64'));
    checkLoaded('linux-arm64 prebuild under qemu-user', arm64);
    if (x64?.exports && arm64.exports) {
      report(
        JSON.stringify(arm64.exports) === JSON.stringify(x64.exports),
        'linux-arm64 and linux-x64 prebuilds export the same names',
      );
    }
  }
}
process.exit(failures === 0 ? 0 : 1);
