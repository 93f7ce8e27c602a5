#!/usr/bin/env node
// npm "install" script: use the prebuild for this platform when one loads, else build the addon
// from source with node-gyp, and when neither can happen end with one line that says why and what
// to install, not gyp's stack.
//
// - Off Linux there is no addon to have (the sockets are Linux kernel interfaces): one line says
//   so and the install succeeds, for the pure-JS entries rawsock/bpf, rawsock/decode and
//   rawsock/pcap, which need none.
// - "Loads" is what node-gyp-build will do at run time: a prebuild whose tags match (linux-<arch>,
//   napi, glibc or musl) and that dlopen() accepts, or a build/Release of an earlier build.
//   `npm install --build-from-source` (npm_config_build_from_source) skips the prebuild.
// - Building needs python3, make and a C++ compiler (node-gyp's requirements): checked first, so a
//   machine without them gets the one line instead of node-gyp's failure. The build uses the
//   headers this Node installation ships (<prefix>/include/node, as Debian and NodeSource packages
//   install them) unless a nodedir is configured, so it needs no download of headers.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (process.platform !== 'linux') {
  console.log(
    `rawsock: no native addon on ${process.platform} (its sockets are Linux kernel interfaces); rawsock/bpf, rawsock/decode and rawsock/pcap work here without one`,
  );
  process.exit(0);
}

const libc = process.report?.getReport?.().header?.glibcVersionRuntime ? 'glibc' : 'musl';
const target = `linux-${process.arch} (${libc}, Node ${process.version})`;
const fromSource = process.env.npm_config_build_from_source === 'true';

if (!fromSource) {
  try {
    require('node-gyp-build')(root);
    process.exit(0);
  } catch {
    // No prebuild matches or loads here, and nothing was built yet: build from source below.
  }
}

/** The first executable of `names` on PATH (a name with a slash is taken as a path), or null. */
function findTool(...names) {
  for (const name of names.filter(Boolean)) {
    const candidates = name.includes('/')
      ? [name]
      : (process.env.PATH ?? '').split(':').map((dir) => path.join(dir || '.', name));
    for (const candidate of candidates) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {}
    }
  }
  return null;
}

const missing = [
  findTool(process.env.npm_config_python, process.env.PYTHON, 'python3') ? null : 'python3',
  findTool('make') ? null : 'make',
  findTool(process.env.CXX?.split(' ')[0], 'g++', 'c++', 'clang++') ? null : 'g++',
].filter(Boolean);
const why = fromSource ? 'a build from source was asked for' : `there is no prebuilt addon for ${target}`;
if (missing.length) {
  console.error(
    `rawsock: ${why}, and building one needs python3, make and g++ (missing here: ${missing.join(', ')}): install them (Debian/Ubuntu: apt-get install python3 make g++; Alpine: apk add python3 make g++ linux-headers), then run npm rebuild rawsock`,
  );
  process.exit(1);
}

const env = { ...process.env };
const prefix = path.dirname(path.dirname(process.execPath));
if (!env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = prefix;
}
// npm names its own node-gyp in npm_config_node_gyp; in a checkout, node-gyp is a devDependency.
let nodeGyp = env.npm_config_node_gyp;
if (!nodeGyp || !existsSync(nodeGyp)) {
  try {
    nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    nodeGyp = null;
  }
}
const build = nodeGyp
  ? spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: root, stdio: 'inherit', env })
  : spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', env });
if (build.status !== 0) {
  console.error(
    `rawsock: ${why}, and building one with node-gyp failed (${build.error ? build.error.message : `exit ${build.status}`}, output above)`,
  );
  process.exit(1);
}
