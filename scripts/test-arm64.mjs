#!/usr/bin/env node
// `npm run test:arm64`: cross-compiles the linux-arm64 prebuild (scripts/prebuild.mjs --arch
// arm64) and runs the suite's core subset (vitest.arm64.config.ts) with an arm64 Node under
// qemu-user, inside the same fresh user + network namespace as `npm test` (made by the host's
// unshare before qemu starts: the emulated process itself never creates namespaces, which
// qemu-user cannot do). Ends with `N passed, N failed`, like the other suites.
// Needs g++-aarch64-linux-gnu, qemu-user-static, libc6-arm64-cross and the arm64 Node of
// scripts/install-arm64-runtime.mjs (all installed by scripts/install-test-deps.sh).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { arm64Runtime, nodeModules, underQemu } from './arm64-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function refuse(message) {
  console.error(`test:arm64: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const { qemu, missing } = arm64Runtime();
if (missing.length) refuse(`missing ${missing.join('; ')}: run scripts/install-test-deps.sh`);

const prebuild = spawnSync(process.execPath, [path.join(root, 'scripts', 'prebuild.mjs'), '--arch', 'arm64'], {
  cwd: root,
  stdio: 'inherit',
});
if (prebuild.status !== 0) refuse('the arm64 prebuild failed (above)');

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(
  process.execPath,
  [
    path.join(root, 'scripts', 'in-netns.mjs'),
    ...underQemu(qemu, [vitest, 'run', '--config', 'vitest.arm64.config.ts']),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      RAWSOCK_ADDON: path.join(root, 'prebuilds', 'linux-arm64', 'node.napi.glibc.node'),
      // rolldown's arm64 binding, which vitest loads in-process (the x64 one in node_modules cannot).
      NODE_PATH: nodeModules,
    },
  },
);
process.exit(result.status ?? 1);
