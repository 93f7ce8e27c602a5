// On a platform other than Linux, importing rawsock fails at once with one clear error that says
// why, instead of a load failure somewhere inside node-gyp-build or the addon. Each case runs a
// child Node that pretends to be on another platform before it imports lib/index.ts.
// (npm installs the package there for its pure-JS entries rawsock/bpf, rawsock/decode and
// rawsock/pcap; scripts/install.mjs builds nothing off Linux.)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, tsxNode } from './helpers/netns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function importOn(platform: string) {
  const script = [
    `Object.defineProperty(process, 'platform', { value: ${JSON.stringify(platform)} });`,
    "await import('./lib/index.ts');",
    "console.log('imported');",
  ].join('\n');
  return run(process.execPath, [...tsxNode, '--input-type=module', '-e', script], { cwd: root });
}

describe('import on a platform other than Linux', () => {
  it.each(['darwin', 'win32', 'freebsd'])(
    '%s: throws "rawsock works on Linux only", naming the platform',
    async (platform) => {
      const result = await importOn(platform);
      expect(result.stdout).not.toContain('imported');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`rawsock works on Linux only`);
      expect(result.stderr).toContain(`(this is ${platform})`);
      // The error comes from rawsock's loader, before node-gyp-build looks for a binary.
      expect(result.stderr).not.toMatch(/No native build was found|node-gyp-build|\.node: /);
    },
  );

  it('linux: the same child imports it', async () => {
    const result = await importOn('linux');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('imported');
  });
});
