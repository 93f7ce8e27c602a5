#!/usr/bin/env node
// npm "prepack" script (npm pack, npm publish): every tarball carries fresh, checked prebuilds,
// or there is no tarball.
//
// 1. Refuses at once, with one line naming what to install, unless this is a linux-x64 host
//    with what the builds need: python3, make, g++ and g++-aarch64-linux-gnu.
// 2. Empties prebuilds/ (nothing stale, nothing from another checkout gets packed), builds
//    linux-x64 and, cross-compiled, linux-arm64 (scripts/prebuild.mjs), and checks both
//    (scripts/check-addon.mjs).
// 3. Compiles dist/ from scratch: tsc never deletes the output of a removed source, and such
//    leftovers must not ship.
// RAWSOCK_PREPACK_ARCHES=x64 packs only the x64 prebuild (for a git dependency on a machine
// without the cross compiler, say); it says so loudly, since such a tarball is not a release.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const arches = (process.env.RAWSOCK_PREPACK_ARCHES ?? 'x64,arm64').split(',').filter(Boolean);

function refuse(message) {
  console.error(`prepack: refusing to pack: ${message}`);
  process.exit(1);
}

function onPath(name) {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir || '.', name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  refuse(`the prebuilds are built on linux-x64 (this is ${process.platform}-${process.arch})`);
}
if (!arches.includes('x64')) refuse('RAWSOCK_PREPACK_ARCHES must include x64');
const tools = [
  ['python3', 'python3'],
  ['make', 'make'],
  ['g++', 'g++'],
  ...(arches.includes('arm64') ? [['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu']] : []),
];
const missing = tools.filter(([tool]) => !onPath(tool)).map(([, debian]) => debian);
if (missing.length) {
  refuse(
    `the tarball must carry fresh prebuilds for ${arches.map((a) => `linux-${a}`).join(' and ')}, and building them needs ${missing.join(', ')} (apt-get install ${missing.join(' ')}, or scripts/install-test-deps.sh)`,
  );
}
if (arches.join(',') !== 'x64,arm64') {
  console.warn(
    `prepack: WARNING: packing prebuilds for ${arches.join(', ')} only (RAWSOCK_PREPACK_ARCHES); not a release`,
  );
}

function step(what, args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) refuse(`${what} failed (above)`);
}

rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
for (const arch of arches) step(`the linux-${arch} prebuild`, ['scripts/prebuild.mjs', '--arch', arch]);
step('checking the prebuilds', ['scripts/check-addon.mjs']);
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
step('compiling dist/', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
console.log(`prepack: prebuilds for ${arches.map((a) => `linux-${a}`).join(', ')} built and checked; dist/ compiled`);
