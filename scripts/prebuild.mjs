#!/usr/bin/env node
// `npm run build:prebuild [-- --arch arm64]`: build the addon into
// prebuilds/linux-<arch>/node.napi.<libc>.node with prebuildify, the file the npm tarball carries
// and node-gyp-build loads at install and run time.
//
// - One Node-API build serves every Node the package supports: the addon uses Node-API only
//   (NAPI_VERSION=8 in binding.gyp, so any Node with Node-API >= 8 loads it), never V8's ABI.
//   The file name carries the tags node-gyp-build matches on: runtime `node`, `napi` (no `abi<N>`
//   tag, so no Node major is excluded) and the libc (`glibc`, or `musl` on Alpine), so a glibc
//   build is never picked on musl: there node-gyp-build finds no match and builds from source.
// - Like scripts/install.mjs, node-gyp compiles against the headers this Node installation ships
//   (<prefix>/include/node) unless a nodedir is configured, so no header download is needed; the
//   target is this Node's version for the same reason (prebuildify's default target is the newest
//   Node that node-abi knows, whose headers would have to be downloaded). The headers are the
//   same for every architecture, so they serve a cross build too.
// - `--strip` drops the symbol table (the .node shrinks to a fraction of its size).
// - The build runs in a scratch copy of binding.gyp and src-native/, so build/ of this checkout
//   (what `npm run build` made, and what node-gyp-build prefers when it is there) is left alone.
// - `--arch arm64` on an x64 host cross-compiles for linux-arm64 with Debian's
//   g++-aarch64-linux-gnu: CC/CXX/LINK/AR name the cross tools, node-gyp gets --arch=arm64 and the
//   cross strip strips. Without the cross compiler it refuses with one line naming the package.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const prefix = path.dirname(path.dirname(process.execPath));
if (!env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = prefix;
}

// GNU toolchain prefixes for the architectures an x64 host cross-compiles for, and the Debian
// package of each.
const crossToolchains = {
  arm64: { prefix: 'aarch64-linux-gnu-', debian: 'g++-aarch64-linux-gnu' },
};

const passed = process.argv.slice(2);
const archAt = passed.indexOf('--arch');
const arch = archAt >= 0 ? passed[archAt + 1] : process.arch;
if (arch !== process.arch) {
  const toolchain = crossToolchains[arch];
  if (!toolchain || process.arch !== 'x64') {
    console.error(
      `prebuild: cannot cross-compile for ${arch} on ${process.arch} (known: x64 to ${Object.keys(crossToolchains).join(', ')})`,
    );
    process.exit(1);
  }
  if (!onPath(`${toolchain.prefix}g++`)) {
    console.error(
      `prebuild: no ${toolchain.prefix}g++ to cross-compile for linux-${arch}: install ${toolchain.debian} (apt-get install ${toolchain.debian}, or scripts/install-test-deps.sh)`,
    );
    process.exit(1);
  }
  env.CC = `${toolchain.prefix}gcc`;
  env.CXX = `${toolchain.prefix}g++`;
  env.LINK = `${toolchain.prefix}g++`;
  env.AR = `${toolchain.prefix}ar`;
  env.PREBUILD_STRIP_BIN = `${toolchain.prefix}strip`;
}

/** True when an executable `name` is on PATH. */
function onPath(name) {
  return (env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir || '.', name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// The scratch copy: what binding.gyp reads (its source list comes from src-native/, the include
// directory from node-addon-api, resolved through node_modules).
const scratch = mkdtempSync(path.join(os.tmpdir(), `rawsock-prebuild-${arch}-`));
cpSync(path.join(root, 'binding.gyp'), path.join(scratch, 'binding.gyp'));
cpSync(path.join(root, 'src-native'), path.join(scratch, 'src-native'), { recursive: true });
symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('prebuildify/package.json')), 'bin.js');
// `--name node.napi` makes the file name start with the runtime and napi tags (prebuildify 6
// would otherwise start it with the package name, which node-gyp-build ignores as a tag).
const args = [
  bin,
  '--napi',
  '--strip',
  '--tag-libc',
  '--name',
  'node.napi',
  '--target',
  process.versions.node,
  '--cwd',
  scratch,
  '--out',
  root,
  ...passed,
];
console.log(
  `prebuild: prebuildify ${args.slice(1).join(' ')}${env.npm_config_nodedir ? ` (nodedir ${env.npm_config_nodedir})` : ''}`,
);
const result = spawnSync(process.execPath, args, { cwd: scratch, stdio: 'inherit', env });
rmSync(scratch, { recursive: true, force: true });
if (result.status !== 0) {
  console.error(`prebuild: prebuildify failed (${result.signal ?? `exit ${result.status}`})`);
  process.exit(result.status || 1);
}

const dir = path.join(root, 'prebuilds', `${process.platform}-${arch}`);
for (const file of readdirSync(dir)) {
  console.log(`prebuild: ${path.relative(root, path.join(dir, file))} (${statSync(path.join(dir, file)).size} bytes)`);
}
