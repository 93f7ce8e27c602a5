// `rawsock arping` beside iputils arping, and `rawsock dhcp` and examples/dhcp-client.ts against
// dnsmasq, on a veth pair into a peer namespace.
import { afterEach, describe, expect, it } from 'vitest';
import { startDnsmasq } from './helpers/dhcp-servers.js';
import { run, tsxNode } from './helpers/netns.js';
import { PeerNetns } from './helpers/peer-netns.js';

let pair: PeerNetns | undefined;

afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const rawsock = (args: string[]) => run(process.execPath, [...tsxNode, 'lib/cli/rawsock.ts', ...args]);
/** Output with round-trip times masked: the one thing that differs between two runs. */
const timeless = (text: string) => text.replace(/ {2}[\d.]+ms$/gm, '  TIMEms');

describe('rawsock arping', () => {
  it.each([
    ['a reply', (p: PeerNetns) => ['-c', '2', p.peerIp]],
    ['no reply', (p: PeerNetns) => ['-c', '1', `${p.subnet}.66`]],
    ['-D on a used address', (p: PeerNetns) => ['-D', '-c', '1', p.peerIp]],
    ['-D on a free address', (p: PeerNetns) => ['-D', '-c', '1', `${p.subnet}.67`]],
  ])('prints what iputils arping prints for %s, times aside, with its exit status', async (_what, args) => {
    pair = await PeerNetns.create();
    const argv = ['-I', pair.local, ...args(pair)];
    const theirs = await run('arping', argv);
    const ours = await rawsock(['arping', ...argv]);
    expect(ours.stderr).toBe('');
    expect(timeless(ours.stdout)).toBe(timeless(theirs.stdout));
    expect(ours.code).toBe(theirs.code);
  });

  it('explains usage mistakes with status 2', async () => {
    const result = await rawsock(['arping', '-D', '-U', '-I', 'lo', '10.0.0.1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('-D and -U exclude each other');
    expect(result.stderr).toContain('Usage: rawsock arping');
  });
});

describe('rawsock dhcp and examples/dhcp-client.ts', () => {
  it.each([
    ['rawsock dhcp', (iface: string) => [...tsxNode, 'lib/cli/rawsock.ts', 'dhcp', '-i', iface, '--apply', '-T', '1']],
    [
      'examples/dhcp-client.ts',
      (iface: string) => [...tsxNode, 'examples/dhcp-client.ts', '-i', iface, '--apply', '-T', '1'],
    ],
  ])('%s prints the lease dnsmasq grants and applies it', async (_what, argv) => {
    pair = await PeerNetns.create({ localAddress: false });
    const server = await startDnsmasq(pair, 1200);
    const result = await run(process.execPath, argv(pair.local));
    expect(result.stderr).toBe('');
    const [recorded] = await server.leases();
    const address = recorded?.address as string;
    expect(result.stdout).toContain(`lease of ${address} obtained from ${pair.peerIp}, lease time 1200\n`);
    expect(result.stdout).toContain(`  address   ${address}/24 (mask 255.255.255.0, broadcast ${pair.subnet}.255)`);
    expect(result.stdout).toContain(
      `  router    ${pair.peerIp}\n  dns       ${server.dns.join(' ')}\n  domain    rawsock.test`,
    );
    expect(result.stdout).toContain('  lease     1200 s (renew after 600 s, rebind after 1050 s)');
    expect(result.stdout).toMatch(new RegExp(`applied:? ${address.replaceAll('.', '\\.')}/24`));
    const shown = JSON.parse((await run('ip', ['-j', 'addr', 'show', pair.local])).stdout);
    expect(shown[0].addr_info.map((a: { local: string }) => a.local)).toContain(address);
  });

  it('rawsock dhcp exits 1 with the timeout error when no server answers', async () => {
    pair = await PeerNetns.create({ localAddress: false });
    const result = await rawsock(['dhcp', '-i', pair.local, '-t', '1', '-T', '0.2']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rawsock dhcp: no DHCPOFFER on ${pair.local} after 1 DHCPDISCOVER`);
  });
});
