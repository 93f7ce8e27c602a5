#!/usr/bin/env node
// npm "install" script: load a matching prebuild, or build the addon from source with node-gyp
// (node-gyp-build decides). When building, use the headers this Node installation ships
// (<prefix>/include/node, as Debian and NodeSource packages install them) unless a nodedir is
// configured, so a build needs no download of headers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const env = { ...process.env };
const prefix = path.dirname(path.dirname(process.execPath));
if (!env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = prefix;
}
const require = createRequire(import.meta.url);
const bin = require.resolve('node-gyp-build/bin.js');
const result = spawnSync(process.execPath, [bin], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
