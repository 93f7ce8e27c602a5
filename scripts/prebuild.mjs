#!/usr/bin/env node
// `npm run prebuild`: build the addon into prebuilds/<platform>-<arch>/node.napi.<libc>.node with
// prebuildify, the file the npm tarball carries and node-gyp-build loads at install and run time.
//
// - One Node-API build serves every Node the package supports: the addon uses Node-API only
//   (NAPI_VERSION=8 in binding.gyp, so any Node with Node-API >= 8 loads it), never V8's ABI.
//   The file name carries the tags node-gyp-build matches on: runtime `node`, `napi` (no `abi<N>`
//   tag, so no Node major is excluded) and the libc (`glibc`, or `musl` on Alpine), so a glibc
//   build is never picked on musl: there node-gyp-build finds no match and builds from source.
// - Like scripts/install.mjs, node-gyp compiles against the headers this Node installation ships
//   (<prefix>/include/node) unless a nodedir is configured, so no header download is needed; the
//   target is this Node's version for the same reason (prebuildify's default target is the newest
//   Node that node-abi knows, whose headers would have to be downloaded).
// - `--strip` drops the symbol table (the .node shrinks to a fraction of its size).
// - prebuildify runs `node-gyp rebuild` and moves the result out of build/Release, so afterwards
//   build/ holds no addon and this checkout, too, loads the prebuild (node-gyp-build prefers
//   build/Release when it has one: `npm run build` makes one again).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const prefix = path.dirname(path.dirname(process.execPath));
if (!env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = prefix;
}

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
  ...process.argv.slice(2),
];
console.log(
  `prebuild: prebuildify ${args.slice(1).join(' ')}${env.npm_config_nodedir ? ` (nodedir ${env.npm_config_nodedir})` : ''}`,
);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error(`prebuild: prebuildify failed (${result.signal ?? `exit ${result.status}`})`);
  process.exit(result.status || 1);
}

const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
for (const file of readdirSync(dir)) {
  console.log(`prebuild: ${path.relative(root, path.join(dir, file))} (${statSync(path.join(dir, file)).size} bytes)`);
}
