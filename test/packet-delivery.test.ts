// Who gets which packets when callbacks change things in the middle of a batch: a filter replaced
// by one consumer applies to every consumer after it, the stats say where each packet went, the
// re-check sees a packet's real length, a refused filter leaves the previous one in place, and
// ending a loop or removing every listener never stops reading for the consumers that remain.
import dgram from 'node:dgram';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../lib/bpf/compile.js';
import { PacketSocket, type PacketSocketOptions } from '../lib/packet/index.js';
import { UdpSniffer } from '../lib/sniffer/udp-sniffer.js';
import { UdpLiteSocket } from '../lib/udplite/index.js';
import { runInFreshNetns, tsxNode } from './helpers/netns.js';
import { waitUntil } from './helpers/wait.js';

const here = path.dirname(new URL(import.meta.url).pathname);
/** UDP destination port of an IPv4 frame on lo (Ethernet 14 + IPv4 20). */
const dstPort = (frame: Buffer) => frame.readUInt16BE(36);
/** Many small blocks retired after 1 ms: what was sent is handed over at once. */
const ring = { blockSize: 4096, blockCount: 64, retireTimeoutMs: 1 };

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

/** A packet socket on lo capturing `filter` (ring as above), closed after the test; `options` override. */
function capture(filter: string, options: PacketSocketOptions = {}): PacketSocket {
  const socket = PacketSocket.create({
    interface: 'lo',
    filter: compile(filter),
    ignoreOutgoing: true,
    ring,
    ...options,
  });
  cleanup.push(() => socket.close());
  return socket;
}

async function boundPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanup.push(() => socket.close());
  return socket.address().port;
}

async function sendTo(ports: number[], count: number, payload: Buffer | string = 'x'): Promise<void> {
  const sender = dgram.createSocket('udp4');
  cleanup.push(() => sender.close());
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) =>
      sender.send(payload, ports[i % ports.length] as number, '127.0.0.1', (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
}

/** A socket on lo that captured `count` datagrams alternating between ports A and B, not yet read. */
async function queuedAlternating(count: number, options: { ring?: typeof ring | false } = {}) {
  const [a, b] = [await boundPort(), await boundPort()];
  const socket = capture(`udp dst port ${a} or udp dst port ${b}`, { ring: options.ring ?? ring });
  await sendTo([a, b], count);
  expect(await waitUntil(() => socket.stats().received >= count)).toBe(true);
  const letter = (frame: Buffer) => (dstPort(frame) === a ? 'A' : 'B');
  return { socket, a, b, letter };
}

describe('a filter replaced in the middle of a batch', () => {
  it('applies to the batch listeners after the one that replaced it, and to batches() loops', async () => {
    const { socket, a, letter } = await queuedAlternating(10);
    const second: string[] = [];
    const looped: string[] = [];
    let replaced = false;
    socket.on('batch', () => {
      if (!replaced) socket.setFilter(compile(`udp dst port ${a}`));
      replaced = true;
    });
    socket.on('batch', (batch) => {
      for (let i = 0; i < batch.length; i++) second.push(letter(batch.data(i)));
    });
    const loop = (async () => {
      for await (const batch of socket.batches()) {
        for (let i = 0; i < batch.length; i++) looped.push(letter(batch.data(i)));
        if (looped.length >= 5) break;
      }
    })();
    await loop;
    expect(await waitUntil(() => second.length >= 5)).toBe(true);
    expect(second.join('')).toBe('AAAAA');
    expect(looped.join('')).toBe('AAAAA');
  });

  for (const receive of ['ring', 'recvmmsg'] as const) {
    it(`counts the packets skipped after it as discarded, not delivered (${receive})`, async () => {
      const { socket, a, letter } = await queuedAlternating(10, { ring: receive === 'ring' ? ring : false });
      const seen: string[] = [];
      socket.on('packet', (packet) => {
        seen.push(letter(packet.data));
        if (seen.length === 1) socket.setFilter(compile(`udp dst port ${a}`));
      });
      expect(await waitUntil(() => socket.stats().delivered + socket.stats().discarded >= 10)).toBe(true);
      expect(seen.join('')).toBe('AAAAA');
      expect(socket.stats()).toMatchObject({ delivered: 5, discarded: 5 });
    });
  }

  it('counts nothing as delivered that close() in a listener kept from anyone', async () => {
    const { socket } = await queuedAlternating(20);
    let seen = 0;
    socket.on('packet', () => {
      if (++seen === 2) socket.close();
    });
    expect(await waitUntil(() => socket.closed)).toBe(true);
    const stats = socket.stats();
    expect(seen).toBe(2);
    expect(stats.delivered).toBe(2);
    expect(stats.delivered + stats.discarded).toBeLessThanOrEqual(stats.received);
  });
});

describe('the re-check of packets captured under the previous filter', () => {
  // 542-byte frames captured with a 64-byte snap length: `len` must be 542, not 64.
  async function recheckLength(expression: (port: number) => string) {
    const port = await boundPort();
    const socket = capture(`udp dst port ${port}`, { snapLength: 64 });
    await sendTo([port], 10, Buffer.alloc(500));
    expect(await waitUntil(() => socket.stats().received >= 10)).toBe(true);
    socket.setFilter(compile(expression(port)));
    const lengths: number[] = [];
    socket.on('packet', (packet) => lengths.push(packet.originalLength));
    expect(await waitUntil(() => socket.stats().delivered + socket.stats().discarded >= 10)).toBe(true);
    return { lengths, stats: socket.stats() };
  }

  it('rejects by the length on the wire (less 200 drops every 542-byte frame)', async () => {
    const { lengths, stats } = await recheckLength((port) => `udp dst port ${port} and less 200`);
    expect(lengths).toEqual([]);
    expect(stats).toMatchObject({ delivered: 0, discarded: 10 });
  });

  it('passes by the length on the wire (greater 200 keeps every 542-byte frame)', async () => {
    const { lengths, stats } = await recheckLength((port) => `udp dst port ${port} and greater 200`);
    expect(lengths).toEqual(Array(10).fill(542));
    expect(stats).toMatchObject({ delivered: 10, discarded: 0 });
  });
});

describe('a filter the kernel refuses', () => {
  it('leaves the previous program attached and receiving', async () => {
    // Its own namespace: optmem_max is per network namespace, and others share this one.
    const script = path.join(here, 'helpers', 'filter-refused.ts');
    const result = await runInFreshNetns('sh', [
      '-c',
      'echo 20480 > /proc/sys/net/core/optmem_max && exec "$0" "$@"',
      process.execPath,
      ...tsxNode,
      script,
    ]);
    expect(result.stderr).toBe('');
    const seen = JSON.parse(result.stdout.trim());
    expect(seen.code).toBe('ENOMEM');
    expect(seen.filterLength).toBe(seen.previousLength);
    expect(seen.kernelFilterLength).toBe(seen.previousLength);
    expect(seen.received).toBe(5);
  });
});

describe('consumers that remain keep receiving', () => {
  it('when a for await loop that paused reading ends', async () => {
    const port = await boundPort();
    const socket = capture(`udp dst port ${port}`);
    let events = 0;
    socket.on('packet', () => events++);
    const loop = socket.packets({ highWaterMark: 1 });
    await sendTo([port], 5);
    expect(await waitUntil(() => events >= 1)).toBe(true);
    await loop.return?.();
    const before = events;
    await sendTo([port], 20);
    expect(await waitUntil(() => events - before >= 20)).toBe(true);
  });

  // Each socket reads (and pauses once its listeners are gone) before removeAllListeners().
  it('after removeAllListeners(), for the next listener (packet socket, UDP-Lite, sniffer)', async () => {
    const port = await boundPort();
    const socket = capture(`udp dst port ${port}`);
    let first = 0;
    socket.on('packet', () => first++);
    await sendTo([port], 5);
    expect(await waitUntil(() => first >= 5)).toBe(true);
    socket.removeAllListeners();
    let events = 0;
    socket.on('packet', () => events++);
    await sendTo([port], 5);
    expect(await waitUntil(() => events >= 5)).toBe(true);

    const lite = UdpLiteSocket.create({ family: 4 });
    cleanup.push(() => lite.close());
    lite.bind(0, '127.0.0.1');
    const peer = UdpLiteSocket.create({ family: 4 });
    cleanup.push(() => peer.close());
    let firstMessages = 0;
    lite.on('message', () => firstMessages++);
    for (let i = 0; i < 5; i++) await peer.send('x', lite.address().port, '127.0.0.1');
    expect(await waitUntil(() => firstMessages >= 5)).toBe(true);
    lite.removeAllListeners();
    let messages = 0;
    lite.on('message', () => messages++);
    for (let i = 0; i < 5; i++) await peer.send('x', lite.address().port, '127.0.0.1');
    expect(await waitUntil(() => messages >= 5)).toBe(true);

    const sniffed = await boundPort();
    const sniffer = UdpSniffer.create({ port: sniffed, interface: 'lo' });
    cleanup.push(() => sniffer.close());
    let firstDatagrams = 0;
    sniffer.on('datagram', () => firstDatagrams++);
    await sendTo([sniffed], 5);
    expect(await waitUntil(() => firstDatagrams >= 5)).toBe(true);
    sniffer.removeAllListeners();
    let datagrams = 0;
    sniffer.on('datagram', () => datagrams++);
    await sendTo([sniffed], 5);
    expect(await waitUntil(() => datagrams >= 5)).toBe(true);
  });

  it("after removeAllListeners('newListener'), keeping the user's own removeListener listener", async () => {
    const port = await boundPort();
    const socket = capture(`udp dst port ${port}`);
    const mine = () => {};
    socket.on('removeListener', mine);
    socket.removeAllListeners('newListener');
    expect(socket.listeners('removeListener')).toContain(mine);
    let events = 0;
    socket.on('packet', () => events++);
    await sendTo([port], 5);
    expect(await waitUntil(() => events >= 5)).toBe(true);
  });
});

describe('loop options', () => {
  it.each([
    [{ highWaterMark: -1 }, 'ERR_OUT_OF_RANGE', /highWaterMark.*-1/],
    [{ highWaterMark: 0 }, 'ERR_OUT_OF_RANGE', /highWaterMark.*0/],
    [{ highWaterMark: Number.NaN }, 'ERR_OUT_OF_RANGE', /highWaterMark.*NaN/],
    [{ highWaterMark: 1.5 }, 'ERR_OUT_OF_RANGE', /highWaterMark.*1\.5/],
    [{ highWaterMark: '10' }, 'ERR_INVALID_ARG_TYPE', /highWaterMark.*'10'/],
    [{ signal: 'nope' }, 'ERR_INVALID_ARG_TYPE', /signal.*'nope'/],
    [{ signal: {} }, 'ERR_INVALID_ARG_TYPE', /signal/],
    [null, 'ERR_INVALID_ARG_TYPE', /options.*null/],
  ])('rejects %o in packets() and batches() (%s)', (options, code, message) => {
    const socket = PacketSocket.create({ interface: 'lo', ignoreOutgoing: true });
    cleanup.push(() => socket.close());
    for (const open of [() => socket.packets(options as never), () => socket.batches(options as never)]) {
      expect(open).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    }
  });
});
