// ARP against the kernel of a peer namespace across a veth pair, side by side with iputils
// arping on the same link: resolveMac() must find the MAC arping prints, probeAddress() must
// see the conflicts `arping -D` sees, and announceAddress() must move the peer's neighbour entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArpTimeoutError, announceAddress, decodeArp, encodeArp, probeAddress, resolveMac } from '../lib/arp/index.js';
import { run } from './helpers/netns.js';
import { checked, PeerNetns } from './helpers/peer-netns.js';

let pair: PeerNetns;

beforeAll(async () => {
  pair = await PeerNetns.create();
});

afterAll(async () => {
  await pair?.close();
});

/** iputils arping's replies: [address, MAC in lower case] per "Unicast reply from A [MAC]" line. */
async function arping(args: string[]) {
  const result = await run('arping', ['-I', pair.local, ...args]);
  const replies = [...result.stdout.matchAll(/^Unicast reply from (\S+) \[([0-9A-F:]+)\]/gm)].map((m) => [
    m[1],
    m[2]?.toLowerCase(),
  ]);
  return { code: result.code, replies, stdout: result.stdout };
}

describe('resolveMac', () => {
  it('finds the MAC the peer kernel answers with, the one arping prints', async () => {
    const ours = await resolveMac(pair.peerIp, { interface: pair.local });
    const theirs = await arping(['-c', '1', pair.peerIp]);
    expect(theirs.code).toBe(0);
    expect(theirs.replies).toEqual([[pair.peerIp, pair.peerMac]]);
    expect(ours).toMatchObject({
      address: pair.peerIp,
      mac: pair.peerMac,
      interfaceName: pair.local,
      source: pair.localIp, // the address arping's "from" shows too
      attempts: 1,
    });
    expect(theirs.stdout).toContain(`ARPING ${pair.peerIp} from ${pair.localIp} ${pair.local}`);
    expect(ours.rttMs).toBeGreaterThan(0);
  });

  it('times out for an address nobody has, as arping gets no response', async () => {
    const absent = `${pair.subnet}.77`;
    const theirs = await arping(['-c', '2', '-w', '2', absent]);
    expect(theirs.code).toBe(1);
    expect(theirs.replies).toEqual([]);
    const error = await resolveMac(absent, { interface: pair.local, attempts: 2, intervalMs: 200 }).catch((e) => e);
    expect(error).toBeInstanceOf(ArpTimeoutError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', address: absent, attempts: 2 });
    expect(error.message).toContain(`no ARP reply from ${absent} on ${pair.local} to 2 request(s)`);
  });

  it('asks from 0.0.0.0 when told, and the kernel still answers', async () => {
    const ours = await resolveMac(pair.peerIp, { interface: pair.local, source: '0.0.0.0' });
    expect(ours).toMatchObject({ mac: pair.peerMac, source: '0.0.0.0' });
  });

  it.each([
    [['10.0.0.300', { interface: 'lo' }], 'ERR_INVALID_ARG_VALUE'],
    [[7, { interface: 'lo' }], 'ERR_INVALID_ARG_TYPE'],
    [['10.0.0.1', { interface: 'no-such-if0' }], 'ENODEV'],
    [['10.0.0.1', { interface: 'lo', attempts: 0 }], 'ERR_OUT_OF_RANGE'],
    [['10.0.0.1', { interface: 'lo', source: '::1' }], 'ERR_INVALID_ARG_VALUE'],
    [['10.0.0.1', { interface: 'lo', signal: {} }], 'ERR_INVALID_ARG_TYPE'],
    [['10.0.0.1', null], 'ERR_INVALID_ARG_TYPE'],
    [['10.0.0.1', { interface: 'lo', timeout: 5 }], 'ERR_INVALID_ARG_VALUE'],
  ])('resolveMac(%j) fails with %s', async (args, code) => {
    await expect(resolveMac(...(args as [string, never]))).rejects.toMatchObject({ code });
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const pending = resolveMac(`${pair.subnet}.78`, {
      interface: pair.local,
      signal: controller.signal,
      attempts: 100,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('probeAddress (RFC 5227)', () => {
  const quick = { initialDelayMs: 0, minIntervalMs: 100, maxIntervalMs: 200, waitMs: 300 };

  it('reports a conflict for an address the peer has, as arping -D does', async () => {
    const theirs = await arping(['-D', '-c', '2', pair.peerIp]);
    expect(theirs.code).toBe(1); // -D: 1 means the address is in use
    expect(theirs.replies).toEqual([[pair.peerIp, pair.peerMac]]);
    const ours = await probeAddress(pair.peerIp, { interface: pair.local, ...quick });
    expect(ours).toMatchObject({ address: pair.peerIp, conflict: true, conflictingMac: pair.peerMac });
    expect(ours.probesSent).toBeGreaterThanOrEqual(1);
  });

  it('finds a free address free, as arping -D does', async () => {
    const free = `${pair.subnet}.79`;
    const theirs = await arping(['-D', '-c', '2', free]);
    expect(theirs.code).toBe(0);
    const ours = await probeAddress(free, { interface: pair.local, probes: 2, ...quick });
    expect(ours).toEqual({ address: free, conflict: false, conflictingMac: null, probesSent: 2 });
  });

  it('sees another host probing for the same address as a conflict', async () => {
    const wanted = `${pair.subnet}.80`;
    // The peer probes for `wanted` with arping -D (one probe a second) while we do.
    const theirs = pair.exec('arping', ['-D', '-c', '2', '-I', pair.peer, wanted]);
    const ours = await probeAddress(wanted, { interface: pair.local, probes: 3, ...quick, waitMs: 1500 });
    const done = await theirs;
    expect(ours, done.stdout + done.stderr).toMatchObject({ conflict: true, conflictingMac: pair.peerMac });
  });

  it.each([
    [{ interface: 'lo', probes: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ interface: 'lo', minIntervalMs: 500, maxIntervalMs: 100 }, 'ERR_OUT_OF_RANGE'],
    [{ interface: 'lo', waitMs: -1 }, 'ERR_OUT_OF_RANGE'],
  ])('probeAddress(%j) fails with %s', async (options, code) => {
    await expect(probeAddress('10.0.0.1', options as never)).rejects.toMatchObject({ code });
  });
});

describe('announceAddress', () => {
  it('moves the address in the peer kernel neighbour table to our MAC', async () => {
    const claimed = `${pair.subnet}.81`;
    // Linux takes gratuitous ARP for entries it has (arp_accept=0 creates none): give it a stale one.
    await pair.exec('ip', ['neigh', 'add', claimed, 'lladdr', '02:00:00:00:00:99', 'dev', pair.peer, 'nud', 'stale']);
    const sent = await announceAddress(claimed, { interface: pair.local, count: 2, intervalMs: 100 });
    expect(sent).toBe(2);
    const neighbours = JSON.parse(
      (
        await checked('nsenter', [
          `--net=/proc/${pair.pid}/ns/net`,
          '--',
          'ip',
          '-j',
          'neigh',
          'show',
          claimed,
          'dev',
          pair.peer,
        ])
      ).stdout,
    );
    expect(neighbours).toEqual([expect.objectContaining({ dst: claimed, lladdr: pair.localMac })]);
  });
});

describe('ARP codec', () => {
  it('round-trips a message and refuses what is not Ethernet/IPv4 ARP', () => {
    const message = {
      operation: 'reply' as const,
      senderMac: '02:00:00:00:00:01',
      senderIp: '192.0.2.1',
      targetMac: '02:00:00:00:00:02',
      targetIp: '192.0.2.2',
    };
    const bytes = encodeArp(message);
    expect(bytes.length).toBe(28);
    expect(decodeArp(bytes)).toEqual(message);
    expect(decodeArp(bytes.subarray(0, 27))).toBeNull();
    expect(decodeArp(Buffer.from(bytes).fill(6, 0, 2))).toBeNull(); // hardware type 0x0606
    expect(decodeArp(Buffer.from(bytes).fill(0, 6, 8))).toBeNull(); // op 0
    expect(() => encodeArp({ ...message, senderIp: 'x' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
