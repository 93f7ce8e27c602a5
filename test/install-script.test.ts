// scripts/install.mjs, the package's npm "install" script, run as npm runs it in an installed
// package: a copy of package.json, the script and node-gyp-build in a temporary package, with a
// PATH that holds nothing but node. Without a prebuild and a compiler it must end with one line
// that names the platform and what to install; off Linux it must build nothing and succeed (the
// pure-JS entries need no addon); with a prebuild that loads it must do nothing.
// (npm run test:package does the same through a real `npm install` of the packed tarball.)
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers/netns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const libc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime
  ? 'glibc'
  : 'musl';

let work: string;
let pkg: string;
let bin: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'rawsock-install-'));
  pkg = path.join(work, 'node_modules', 'rawsock');
  bin = path.join(work, 'bin');
  mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
  mkdirSync(path.join(pkg, 'node_modules'));
  mkdirSync(bin);
  cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  cpSync(path.join(root, 'binding.gyp'), path.join(pkg, 'binding.gyp'));
  cpSync(path.join(root, 'scripts', 'install.mjs'), path.join(pkg, 'scripts', 'install.mjs'));
  symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(pkg, 'node_modules', 'node-gyp-build'));
  symlinkSync(process.execPath, path.join(bin, 'node'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the install script as npm would (cwd: the package), PATH = node only, as `platform`. */
function install(options: { platform?: string; env?: Record<string, string> } = {}) {
  const fake = options.platform
    ? ['--import', `data:text/javascript,Object.defineProperty(process,"platform",{value:"${options.platform}"})`]
    : [];
  return run(process.execPath, [...fake, 'scripts/install.mjs'], {
    cwd: pkg,
    env: { PATH: bin, HOME: work, ...options.env },
  });
}

describe('npm install script', () => {
  it('no prebuild and no compiler: one line naming the platform and what to install', async () => {
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `rawsock: there is no prebuilt addon for linux-${process.arch} (${libc}, Node ${process.version}), and building one needs python3, make and g++ (missing here: python3, make, g++): install them (Debian/Ubuntu: apt-get install python3 make g++; Alpine: apk add python3 make g++ linux-headers), then run npm rebuild rawsock`,
    );
  });

  it.each(['darwin', 'win32'])('on %s: builds nothing, says why in one line and succeeds', async (platform) => {
    const result = await install({ platform });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `rawsock: no native addon on ${platform} (its sockets are Linux kernel interfaces); rawsock/bpf, rawsock/decode and rawsock/pcap work here without one`,
    ]);
  });

  describe('with the prebuild for this platform', () => {
    // The addon this checkout loads (build/Release or a prebuild), under a prebuild's name.
    beforeAll(() => {
      const addon = (require('node-gyp-build') as { path(dir: string): string }).path(root);
      const dir = path.join(pkg, 'prebuilds', `linux-${process.arch}`);
      mkdirSync(dir, { recursive: true });
      cpSync(addon, path.join(dir, `node.napi.${libc}.node`));
    });

    it('loads it and does nothing else, without a compiler', async () => {
      const result = await install();
      expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    });

    it('--build-from-source skips it, and without a compiler says a build was asked for', async () => {
      const result = await install({ env: { npm_config_build_from_source: 'true' } });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(
        /^rawsock: a build from source was asked for, and building one needs python3, make/,
      );
    });
  });
});
