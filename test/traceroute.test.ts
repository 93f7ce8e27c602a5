// traceroute() on a chain of namespaces with two routers (test/helpers/router-chain.ts): the
// hops, addresses and marks equal what Debian's traceroute prints (UDP probes, and -I for ICMP)
// and the hops tracepath (iputils) finds, for the target, a destination the last router rejects
// as prohibited (!X) and one it rejects as unreachable (!H), over IPv4 and IPv6.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTracerouteHop, traceroute } from '../lib/traceroute/index.js';
import { run } from './helpers/netns.js';
import { RouterChain } from './helpers/router-chain.js';

const families = [4, 6] as const;
const key = (family: 4 | 6) => (family === 4 ? 'ipv4' : 'ipv6');
// ICMP probes over ping sockets (see test/icmp-ping.test.ts for why "0 0").
beforeAll(() => writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 0'));

const withoutTimes = (line: string) => line.replace(/ {2}\d+\.\d+ ms/g, '  T ms');

/**
 * Debian traceroute's hop lines, times replaced. `-w 3,0,0` waits the whole 3 s for every probe,
 * as ours does: by default it waits only 3x the round trip of an earlier reply from the same hop
 * (and 10x of a later hop's), so on a loaded machine a reply that is merely slow prints as "*".
 */
async function debianTraceroute(address: string, icmp: boolean): Promise<string[]> {
  const args = ['-n', '-w', '3,0,0', ...(icmp ? ['-I'] : []), address];
  const result = await run('traceroute', args, { timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split('\n').slice(1).map(withoutTimes);
}

/** tracepath's hops: the addresses seen at each TTL, and the mark of the last line. */
async function tracepath(address: string): Promise<{ hops: Map<number, Set<string>>; last: number; mark: string }> {
  const result = await run('tracepath', ['-n', address], { timeoutMs: 60_000 });
  const hops = new Map<number, Set<string>>();
  let last = 0;
  let mark = '';
  for (const line of result.stdout.split('\n')) {
    const m = /^\s*(\d+):\s+(\S+)\s+\S+ms\s*(\S*)/.exec(line);
    if (!m || m[2] === '[LOCALHOST]') continue;
    const ttl = Number(m[1]);
    (hops.get(ttl) ?? hops.set(ttl, new Set()).get(ttl))?.add(m[2] as string);
    last = ttl;
    mark = m[3] as string;
  }
  return { hops, last, mark };
}

describe('traceroute() finds the hops traceroute and tracepath find', () => {
  let chain: RouterChain;
  beforeAll(async () => {
    chain = await RouterChain.create(2);
  }, 60_000);
  afterAll(() => chain?.close());

  const cases = [
    { to: 'target', last: 'the target (reached at hop 3)' },
    { to: 'prohibited', last: 'router 2 rejecting at hop 3 (!X)' },
    { to: 'unreachable', last: 'router 2 rejecting at hop 3 (!H)' },
  ] as const;
  for (const family of families) {
    for (const c of cases) {
      for (const probe of ['udp', 'icmp'] as const) {
        it(`IPv${family}, ${probe} probes: ${c.last}`, async () => {
          const address = chain[c.to][key(family)];
          const result = await traceroute(address, { probe, timeout: 3000 });
          const lines = result.hops.map((h) => withoutTimes(formatTracerouteHop(h)));
          expect(lines).toEqual(await debianTraceroute(address, probe === 'icmp'));
          // The shape, independent of the peer: routers 1 and 2, then the end.
          expect(result.hops.map((h) => h.probes[0]?.address)).toEqual([
            chain.routers[0]?.[key(family)],
            chain.routers[1]?.[key(family)],
            c.to === 'target' ? address : chain.routers[1]?.[key(family)],
          ]);
          expect(result.reached).toBe(c.to === 'target');
          const last = result.hops.at(-1)?.probes ?? [];
          expect(last.map((p) => p.annotation)).toEqual(
            Array(3).fill(c.to === 'target' ? '' : c.to === 'prohibited' ? '!X' : '!H'),
          );
          expect(result.hops.every((h) => h.probes.every((p) => p.rtt !== undefined && p.rtt >= 0))).toBe(true);
        }, 60_000);
      }
      it(`IPv${family}: the same hops as tracepath to ${c.last}`, async () => {
        const address = chain[c.to][key(family)];
        const [ours, theirs] = await Promise.all([traceroute(address, { queries: 1 }), tracepath(address)]);
        for (const hop of ours.hops) {
          expect(theirs.hops.get(hop.ttl), `hop ${hop.ttl}`).toEqual(new Set(hop.probes.map((p) => p.address)));
        }
        expect(theirs.last).toBe(ours.hops.at(-1)?.ttl);
        // tracepath marks by errno (EHOSTUNREACH → !H for both rejects over IPv4), traceroute by code.
        expect(theirs.mark === 'reached').toBe(ours.reached);
        expect(theirs.mark.startsWith('!')).toBe(!ours.reached);
      }, 60_000);
    }
  }

  it('a maxHops below the target ends with the last router; queries and firstHop shape the hops', async () => {
    const result = await traceroute(chain.target.ipv4, { maxHops: 2, firstHop: 2, queries: 2, timeout: 3000 });
    expect(result.reached).toBe(false);
    expect(result.hops.map((h) => [h.ttl, h.probes.map((p) => p.address)])).toEqual([
      [2, [chain.routers[1]?.ipv4, chain.routers[1]?.ipv4]],
    ]);
  });

  it('a probe nobody answers is a "*" after its timeout', async () => {
    // Router 1 stops sending time exceeded for a moment.
    await chain.exec(0, 'nft', [
      'add table inet quiet; add chain inet quiet out { type filter hook output priority 0; }; add rule inet quiet out icmp type time-exceeded drop',
    ]);
    try {
      const probes: number[] = [];
      const result = await traceroute(chain.target.ipv4, {
        queries: 1,
        timeout: 300,
        onProbe: (p) => probes.push(p.ttl),
      });
      expect(result.hops.map((h) => h.probes[0]?.address)).toEqual([
        undefined,
        chain.routers[1]?.ipv4,
        chain.target.ipv4,
      ]);
      expect(formatTracerouteHop(result.hops[0] as never)).toBe(' 1  *');
      expect(probes.sort()).toEqual([1, 2, 3]);
    } finally {
      await chain.exec(0, 'nft', ['delete table inet quiet']);
    }
  });
});

describe('bad input', () => {
  it.each([
    [{ probe: 'tcp' }, 'ERR_INVALID_ARG_VALUE'],
    [{ maxHops: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ maxHops: 256 }, 'ERR_OUT_OF_RANGE'],
    [{ firstHop: 31 }, 'ERR_OUT_OF_RANGE'],
    [{ queries: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ timeout: 'x' }, 'ERR_INVALID_ARG_TYPE'],
    [{ family: 6 }, 'ERR_INVALID_ARG_VALUE'],
    [{ onProbe: 1 }, 'ERR_INVALID_ARG_TYPE'],
  ])('traceroute("127.0.0.1", %j) rejects with %s', async (options, code) => {
    await expect(traceroute('127.0.0.1', options as never)).rejects.toMatchObject({ code });
  });

  it('an aborted trace resolves with what it has', async () => {
    const result = await traceroute('127.0.0.1', { signal: AbortSignal.abort() });
    expect(result.hops).toEqual([]);
  });
});
