// Ping sockets and ping(): what the kernel does with ICMP echo on ping sockets and raw sockets,
// and ping() against iputils ping (Debian's iputils-ping) on the same topology — a chain of
// namespaces (test/helpers/router-chain.ts) with two routers, a prohibited and an unreachable
// destination — comparing every printed line except the times. Duplicates and late replies come
// from a Python responder (test/helpers/echo-responder.py) in a target that does not answer
// echoes itself.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageEntry } from '../lib/core/batch-layout.js';
import { formatPingEvent, formatPingSummary, type PingMessage, PingSocket, ping } from '../lib/icmp/index.js';
import { constants, native } from '../lib/native.js';
import { lastJsonWithoutNetRaw, run } from './helpers/netns.js';
import { RouterChain } from './helpers/router-chain.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const families = [4, 6] as const;
const key = (family: 4 | 6) => (family === 4 ? 'ipv4' : 'ipv6');

// Ping sockets are allowed for the groups in net.ipv4.ping_group_range (one sysctl for both
// families, per network namespace). The suite's user namespace maps only gid 0, and the kernel
// ignores a range it cannot map, so "0 0" rather than "0 2147483647".
beforeAll(() => writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 0'));

async function first(socket: PingSocket, count = 1, timeoutMs = 5000): Promise<PingMessage[]> {
  const out: PingMessage[] = [];
  for await (const m of socket.messages({ signal: AbortSignal.timeout(timeoutMs) })) {
    out.push(m);
    if (out.length === count) break;
  }
  return out;
}

describe('the kernel facts ping sockets rely on', () => {
  it.each(families)(
    'IPv%i ping socket: the identifier is the bound port, whatever the request says',
    async (family) => {
      const socket = PingSocket.create({ family, type: 'dgram' });
      socket.bind(undefined, 4242);
      expect(socket.address().port).toBe(4242);
      expect(socket.identifier).toBe(4242);
      await socket.send(
        { sequence: 9, identifier: 1, payload: Buffer.from('abc') },
        family === 4 ? '127.0.0.1' : '::1',
      );
      const [reply] = await first(socket);
      expect(reply).toMatchObject({ kind: 'echo-reply', identifier: 4242, sequence: 9, size: 11, ttl: 64 });
      socket.close();
    },
  );

  it.each(families)('IPv%i: the first send autobinds a ping socket to a free identifier', async (family) => {
    const socket = PingSocket.create({ family, type: 'dgram' });
    expect(socket.identifier).toBe(0);
    await socket.send({ sequence: 1 }, family === 4 ? '127.0.0.1' : '::1');
    expect(socket.identifier).toBeGreaterThan(0);
    const [reply] = await first(socket);
    expect(reply).toMatchObject({ kind: 'echo-reply', identifier: socket.identifier });
    socket.close();
  });

  it('raw ICMP sockets: IPv4 delivers the IP header, IPv6 does not; ICMPv6 raw sockets refuse IPV6_CHECKSUM', async () => {
    // Read with a bare SocketHandle, so what the kernel hands over is seen unprocessed.
    for (const family of families) {
      const domain = family === 4 ? constants.AF_INET : constants.AF_INET6;
      const protocol = family === 4 ? constants.IPPROTO_ICMP : constants.IPPROTO_ICMPV6;
      const handle = new native.SocketHandle(domain, constants.SOCK_RAW, protocol);
      const got = new Promise<Buffer>((resolve) => {
        handle.onMessages = (data, meta) => {
          const { dataOffset, captured } = messageEntry(meta, 0);
          resolve(Buffer.from(data.subarray(dataOffset, dataOffset + captured)));
          return false;
        };
      });
      handle.startReceiving({ slots: 4, slotSize: 2048 });
      const sender = PingSocket.create({ family, type: 'dgram' });
      await sender.send({ sequence: 1 }, family === 4 ? '127.0.0.1' : '::1');
      const bytes = await got;
      if (family === 4)
        expect(bytes[0]).toBe(0x45); // version 4, IHL 5: the IP header
      else expect([128, 129]).toContain(bytes[0]); // the ICMPv6 message itself
      if (family === 6) {
        expect(() => native.setsockopt(handle.fd, constants.IPPROTO_IPV6, constants.IPV6_CHECKSUM, 2)).toThrow(
          expect.objectContaining({ code: 'EINVAL' }),
        );
        // …and report the fixed offset 2 the kernel uses for them.
        expect(native.getsockopt(handle.fd, constants.IPPROTO_IPV6, constants.IPV6_CHECKSUM, 'int')).toBe(2);
      }
      handle.close();
      sender.close();
    }
  });

  it.each(families)('IPv%i raw PingSocket: its own identifier, replies to other sockets dropped', async (family) => {
    const raw = PingSocket.create({ family, type: 'raw' });
    const other = PingSocket.create({ family, type: 'dgram' });
    const address = family === 4 ? '127.0.0.1' : '::1';
    await other.send({ sequence: 1 }, address); // a reply raw must not deliver
    await raw.send({ sequence: 2, payload: Buffer.from('raw') }, address);
    const [reply] = await first(raw);
    expect(reply).toMatchObject({
      kind: 'echo-reply',
      identifier: raw.identifier,
      sequence: 2,
      data: Buffer.from('raw'),
    });
    raw.close();
    other.close();
  });
});

describe('refused ping sockets say what to do', () => {
  // A fresh network namespace has the default range "1 0" (nobody), and without CAP_NET_RAW the
  // raw fallback is refused too.
  const script = (type: string) =>
    `import { readFileSync } from 'node:fs';
     import { PingSocket } from '${path.join(here, '../lib/icmp/index.js')}';
     const range = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().replace(/\\s+/, ' ');
     try { PingSocket.create({ family: 4, type: '${type}' }); console.log('opened'); }
     catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, message: e.message, range })); }`;
  const attempt = (type: string) =>
    lastJsonWithoutNetRaw(script(type)) as Promise<{ code: string; message: string; range: string }>;

  it('auto: EACCES naming the sysctl, the group and CAP_NET_RAW', async () => {
    const error = await attempt('auto');
    expect(error).toMatchObject({ code: 'EACCES', syscall: 'socket' });
    // The default "1 0" reads back through the user namespace's gid map: "65534 0" when root made
    // the namespace (gid 0 maps to itself), "65534 65534" when another user did (neither is mapped).
    // The message quotes what the file says.
    expect(error.range).toMatch(/^65534 (0|65534)$/);
    expect(error.message).toContain(`not allowed for group 0 (net.ipv4.ping_group_range is "${error.range}")`);
    expect(error.message).toContain('sysctl -w net.ipv4.ping_group_range="0 0"');
    expect(error.message).toContain('CAP_NET_RAW');
  });

  it('raw: EPERM naming CAP_NET_RAW and the ping-socket way', async () => {
    const error = await attempt('raw');
    expect(error).toMatchObject({ code: 'EPERM', syscall: 'socket' });
    expect(error.message).toContain('need CAP_NET_RAW');
    expect(error.message).toContain("kind 'dgram'");
  });
});

/** iputils ping's output without the times, as lines. */
async function iputils(address: string, args: string[]): Promise<string[]> {
  const result = await run('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', ...args, address], { timeoutMs: 30_000 });
  return withoutTimes(result.stdout.split('\n').slice(1)); // the first line is PING's banner
}

function withoutTimes(lines: string[]): string[] {
  return lines
    .map((l) =>
      l
        .replace(/ time=\S+ ms/, '')
        .replace(/, time \d+ms/, '')
        .replace(/= [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms.*$/, '= RTT'),
    )
    .filter((l) => l !== '');
}

/** ping()'s events and summary, printed as iputils prints them, without the times. */
async function ours(address: string, options: Parameters<typeof ping>[1]): Promise<string[]> {
  const result = await ping(address, { count: 3, interval: 200, timeout: 2000, ...options });
  const lines = result.events.map(formatPingEvent).filter((l): l is string => l !== undefined);
  return withoutTimes([...lines, ...formatPingSummary(address, result.summary).split('\n')]);
}

describe('ping() prints what iputils ping prints on a chain of routers', () => {
  let chain: RouterChain;
  beforeAll(async () => {
    chain = await RouterChain.create(2);
  }, 60_000);
  afterAll(() => chain?.close());

  const cases = [
    { name: 'the target (3 replies, TTL 62 after two routers)', to: 'target', ttl: undefined },
    { name: 'the target with TTL 1 (time exceeded from router 1)', to: 'target', ttl: 1 },
    { name: 'the target with TTL 2 (time exceeded from router 2)', to: 'target', ttl: 2 },
    { name: 'a prohibited destination (router 2 rejects)', to: 'prohibited', ttl: undefined },
    { name: 'an unreachable destination (router 2 rejects)', to: 'unreachable', ttl: undefined },
  ] as const;
  for (const family of families) {
    for (const c of cases) {
      it(`IPv${family}: ${c.name}, with a ping socket and a raw socket`, async () => {
        const address = chain[c.to][key(family)];
        const ttl = c.ttl === undefined ? [] : ['-t', String(c.ttl)];
        const expected = await iputils(address, ttl);
        for (const type of ['dgram', 'raw'] as const) {
          const got = await ours(address, { type, ...(c.ttl === undefined ? {} : { ttl: c.ttl }) });
          expect(got, type).toEqual(expected);
        }
        if (c.to === 'target' && c.ttl === undefined) {
          expect(expected).toContain(`64 bytes from ${address}: icmp_seq=1 ttl=62`);
        }
      }, 30_000);
    }
  }

  it.each(families)('IPv%i: the summary figures are iputils arithmetic on the replies', async (family) => {
    const result = await ping(chain.target[key(family)], { count: 4, interval: 50, size: 100 });
    const rtts = result.events.flatMap((e) => (e.type === 'reply' ? [Math.round(e.rtt * 1000)] : []));
    expect(rtts).toHaveLength(4);
    const s = result.summary;
    expect(s).toMatchObject({ transmitted: 4, received: 4, duplicates: 0, errors: 0, late: 0, loss: 0 });
    const sum = rtts.reduce((a, b) => a + b, 0);
    const avg = Math.floor(sum / 4);
    const variance = Math.floor((rtts.reduce((a, b) => a + b * b, 0) - Math.floor((sum * sum) / 4)) / 4);
    expect(s.rtt).toEqual({
      min: Math.min(...rtts) / 1000,
      avg: avg / 1000,
      max: Math.max(...rtts) / 1000,
      mdev: Math.floor(Math.sqrt(variance)) / 1000,
    });
    expect(result.events.every((e) => e.type === 'reply' && e.size === 108)).toBe(true);
  });
});

describe('duplicates and late replies', () => {
  let chain: RouterChain;
  beforeAll(async () => {
    chain = await RouterChain.create(1);
    await chain.exec('target', 'sh', [
      '-c',
      'echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all && echo 1 > /proc/sys/net/ipv6/icmp/echo_ignore_all',
    ]);
  }, 60_000);
  afterAll(() => chain?.close());

  async function responder(family: 4 | 6, mode: string): Promise<() => void> {
    const child = chain.spawn('target', 'python3', [
      path.join(here, 'helpers/echo-responder.py'),
      String(family),
      mode,
    ]);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    await new Promise<void>((resolve, reject) => {
      lines.once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`echo-responder exited with ${code}`)));
    });
    return () => child.kill();
  }

  it.each(families)(
    'IPv%i: every request answered twice gives DUP! as iputils reports it',
    async (family) => {
      const stop = await responder(family, 'duplicate');
      try {
        const address = chain.target[key(family)];
        const result = await ping(address, { count: 3, interval: 200, timeout: 2000 });
        const replies = result.events.filter((e) => e.type === 'reply');
        // Both copies of the last reply need not be read before the run ends (iputils too stops at
        // the third reply), so sequences 1 and 2 are compared in full.
        const early = (lines: string[]) => lines.filter((l) => /icmp_seq=[12] /.test(`${l} `));
        const expected = early(await iputils(address, []));
        expect(early(withoutTimes(replies.map((e) => formatPingEvent(e) as string)))).toEqual(expected);
        expect(expected.filter((l) => l.endsWith('(DUP!)'))).toHaveLength(2);
        expect(result.summary).toMatchObject({ transmitted: 3, received: 3, loss: 0, errors: 0 });
        expect(result.summary.duplicates).toBeGreaterThanOrEqual(2);
      } finally {
        stop();
      }
    },
    30_000,
  );

  it.each(families)(
    'IPv%i: replies after the timeout are reported late and still counted',
    async (family) => {
      const stop = await responder(family, 'delay:300');
      try {
        // Each reply comes 300 ms after its request, with a 100 ms timeout: every one is late. The
        // run lasts at least 2 × 500 + 100 ms, so the first (at 300 ms) is always there.
        const result = await ping(chain.target[key(family)], { count: 3, interval: 500, timeout: 100 });
        const replies = result.events.filter((e) => e.type === 'reply');
        const timeouts = result.events.filter((e) => e.type === 'timeout');
        expect(timeouts.map((e) => e.sequence)).toEqual([1, 2, 3]);
        expect(replies.length).toBeGreaterThanOrEqual(1);
        expect(replies.every((e) => e.type === 'reply' && e.late && e.rtt >= 300)).toBe(true);
        expect(result.summary).toMatchObject({ transmitted: 3, received: replies.length, late: replies.length });
      } finally {
        stop();
      }
    },
    30_000,
  );
});

describe('bad input', () => {
  it.each([
    [{ family: 5 }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, type: 'stream' }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, ttl: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, ttl: 256 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, receiveErrors: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [{ family: 4, maxDatagramSize: 0 }, 'ERR_OUT_OF_RANGE'],
    [null, 'ERR_INVALID_ARG_TYPE'],
  ])('PingSocket.create(%j) throws %s', (options, code) => {
    expect(() => PingSocket.create(options as never)).toThrow(expect.objectContaining({ code }));
  });

  it('send() checks the request before anything is sent; a closed socket throws', () => {
    const socket = PingSocket.create({ family: 4 });
    expect(() => socket.send({ sequence: 65536 }, '127.0.0.1')).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => socket.send({ sequence: 1, payload: 'x' as never }, '127.0.0.1')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => socket.send({ sequence: 1 }, 'not-an-address')).toThrow(TypeError);
    socket.close();
    socket.close();
    expect(() => socket.send({ sequence: 1 }, '127.0.0.1')).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }),
    );
  });

  it.each([
    [{ count: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ interval: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ size: 70000 }, 'ERR_OUT_OF_RANGE'],
    [{ ttl: 'x' }, 'ERR_INVALID_ARG_TYPE'],
    [{ family: 6 }, 'ERR_INVALID_ARG_VALUE'], // does not match 127.0.0.1
    [{ signal: {} }, 'ERR_INVALID_ARG_TYPE'],
  ])('ping("127.0.0.1", %j) rejects with %s before sending', async (options, code) => {
    await expect(ping('127.0.0.1', options as never)).rejects.toMatchObject({ code });
  });

  it('an aborted run resolves with what it has', async () => {
    const controller = new AbortController();
    const result = await ping('127.0.0.1', {
      count: Infinity,
      interval: 20,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'reply' && e.sequence === 3) controller.abort();
      },
    });
    expect(result.summary.transmitted).toBeGreaterThanOrEqual(3);
    expect(result.summary.received).toBeGreaterThanOrEqual(3);
  });
});

describe('PingSocket follows the socket shape (docs/sockets.md)', () => {
  it('remoteAddress() unconnected throws ERR_SOCKET_DGRAM_NOT_CONNECTED, connected gives the peer', () => {
    const socket = PingSocket.create({ family: 4, type: 'dgram' });
    try {
      expect(() => socket.remoteAddress()).toThrow(
        expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED', message: 'Not connected' }),
      );
      socket.connect('127.0.0.1');
      expect(socket.remoteAddress()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    } finally {
      socket.close();
    }
  });

  it('a misspelt option is refused before any socket exists', () => {
    expect(() => PingSocket.create({ family: 4, tll: 3 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('tll') }),
    );
  });
});
