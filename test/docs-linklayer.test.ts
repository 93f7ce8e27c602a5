// The ```ts snippets of docs/interfaces.md, docs/dhcp.md and docs/arp.md, run as written on a
// veth pair into a peer namespace: 'eth0' becomes our end, 192.0.2.1 the peer (for ARP), and
// `from 'rawsock'` this checkout's lib/index.ts. A snippet that stops working fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDnsmasq } from './helpers/dhcp-servers.js';
import { run, tsxNode } from './helpers/netns.js';
import { PeerNetns } from './helpers/peer-netns.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function snippets(doc: string): string[] {
  const text = readFileSync(path.join(root, 'docs', doc), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

async function runSnippet(code: string, replacements: [string, string][]) {
  let source = code.replaceAll("from 'rawsock'", `from '${path.join(root, 'lib/index.js')}'`);
  for (const [from, to] of replacements) source = source.replaceAll(from, to);
  const dir = mkdtempSync(path.join(tmpdir(), 'rawsock-doc-'));
  try {
    const file = path.join(dir, 'snippet.mts');
    writeFileSync(file, source);
    return await run(process.execPath, [...tsxNode, file], { timeoutMs: 25_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let pair: PeerNetns | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('docs/interfaces.md', () => {
  const [list, monitor, changes] = snippets('interfaces.md');
  it('has its three snippets', () => {
    expect([list, monitor, changes].every((s) => s !== undefined)).toBe(true);
  });

  it('lists the links, our veth among them', async () => {
    pair = await PeerNetns.create();
    const result = await runSnippet(list as string, []);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      new RegExp(`^\\d+ ${pair.local} veth ${pair.localMac} 1500 up ${pair.localIp}/24`, 'm'),
    );
    expect(result.stdout).toMatch(/^1 lo - 00:00:00:00:00:00 65536 unknown 127\.0\.0\.1\/8 ::1\/128$/m);
  });

  it('monitors and ends its loop', async () => {
    const result = await runSnippet(monitor as string, []);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  it('adds and removes an address and a route', async () => {
    pair = await PeerNetns.create({ localAddress: false });
    const result = await runSnippet(changes as string, [['eth0', pair.local]]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const after = JSON.parse((await run('ip', ['-j', 'addr', 'show', pair.local])).stdout);
    expect(after[0].addr_info.filter((a: { family: string }) => a.family === 'inet')).toEqual([]);
  });
});

describe('docs/dhcp.md', () => {
  const [client, codec] = snippets('dhcp.md');
  it('gets, prints and applies a lease from dnsmasq', async () => {
    pair = await PeerNetns.create({ localAddress: false });
    await startDnsmasq(pair);
    const result = await runSnippet(client as string, [['eth0', pair.local]]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      new RegExp(`^lease of ${pair.subnet.replaceAll('.', '\\.')}\\.\\d+ obtained from ${pair.peerIp}`),
    );
    const shown = JSON.parse((await run('ip', ['-j', 'route', 'show', 'default', 'dev', pair.local])).stdout);
    expect(shown).toEqual([expect.objectContaining({ gateway: pair.peerIp, protocol: 'dhcp' })]);
  });

  it('encodes and decodes a message', async () => {
    const result = await runSnippet(codec as string, []);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toMatch(/^300 discover box <Buffer 75 73 65 72 2d 63 6c 61 73 73>$/);
  });
});

describe('docs/arp.md', () => {
  it('resolves the peer, probes a free address and announces it', async () => {
    pair = await PeerNetns.create();
    const [snippet] = snippets('arp.md');
    const result = await runSnippet(snippet as string, [
      ['192.0.2.10', `${pair.subnet}.10`],
      ['192.0.2.1', pair.peerIp],
      ['eth0', pair.local],
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      new RegExp(`^${pair.peerIp.replaceAll('.', '\\.')} is at ${pair.peerMac} \\([\\d.]+ ms\\)\\n$`),
    );
  });
});
