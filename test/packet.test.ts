// Packet sockets on `lo`: opening without leaks, filters that are never bypassed (flood during
// open and during replacement), metadata, the ring and recvmmsg paths, stats, send, pcap output.
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../lib/bpf/compile.js';
import { toBytes } from '../lib/bpf/instruction.js';
import { messageCount, messageEntry } from '../lib/core/batch-layout.js';
import { buildEthernetFrame, buildIPv4Packet, buildUdpDatagram } from '../lib/decode/build.js';
import { constants, native } from '../lib/native.js';
import { DROP_ALL, encodeLinkLayer, type Packet, PacketSocket, type RingOptions } from '../lib/packet/index.js';
import { PcapWriter, readPcap } from '../lib/pcap/index.js';
import { run, runWithoutCaps, tsxNode } from './helpers/netns.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Blocks the event loop, as a busy program would, so the kernel queues while JS does not read. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** UDP destination port of an IPv4 frame on lo (Ethernet 14 + IPv4 20 without options). */
const dstPort = (frame: Buffer) => frame.readUInt16BE(36);
const udpFilter = (port: number) => compile(`udp dst port ${port}`);

/** Binds UDP sockets on free ports (so the ports are ours and no ICMP unreachable is sent). */
async function holdPorts(count: number): Promise<{ ports: number[]; close: () => void }> {
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      return socket;
    }),
  );
  return {
    ports: sockets.map((s) => s.address().port),
    close: () => {
      for (const s of sockets) s.close();
    },
  };
}

interface Flood {
  child: ChildProcess;
  done: Promise<number>;
}

// Floods go out a veth of this file's own, not lo: other test files share this network namespace
// and have packet sockets on lo. A permanent neighbour entry sends the frames without ARP; packet
// sockets on the veth see them as outgoing, and the other end drops them (not its MAC).
const flooded = `rs${process.pid % 100000}f`;
const floodNet = `10.${100 + (process.pid % 100)}.${(process.pid >> 8) % 250}`;
beforeAll(async () => {
  for (const args of [
    ['link', 'add', flooded, 'type', 'veth', 'peer', 'name', `${flooded}p`],
    ['addr', 'add', `${floodNet}.1/24`, 'dev', flooded],
    ['link', 'set', flooded, 'up'],
    ['link', 'set', `${flooded}p`, 'up'],
    ['neigh', 'replace', `${floodNet}.2`, 'lladdr', '02:00:00:00:00:02', 'dev', flooded, 'nud', 'permanent'],
  ]) {
    expect((await run('ip', args)).stderr).toBe('');
  }
});
afterAll(async () => {
  await run('ip', ['link', 'del', flooded]);
});

async function startFlood(ports: number[], seconds: number): Promise<Flood> {
  const child = spawn('python3', [
    path.join(here, 'helpers/udp-flood.py'),
    `${floodNet}.2`,
    ports.join(','),
    String(seconds),
  ]);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  expect(first.value).toBe('READY');
  const done = (async () => {
    for await (const line of { [Symbol.asyncIterator]: () => iterator }) {
      const match = /^sent=(\d+)/.exec(line);
      if (match) return Number(match[1]);
    }
    return 0;
  })();
  return { child, done };
}

async function collect(socket: PacketSocket, ms: number): Promise<Packet[]> {
  const packets: Packet[] = [];
  const onPacket = (packet: Packet) => packets.push(packet);
  socket.on('packet', onPacket);
  await sleep(ms);
  socket.off('packet', onPacket);
  return packets;
}

async function sendUdp(port: number, payloads: (string | Buffer)[], address = '127.0.0.1'): Promise<void> {
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  for (const payload of payloads) {
    await new Promise<void>((resolve, reject) =>
      socket.send(payload, port, address, (e) => (e ? reject(e) : resolve())),
    );
  }
  socket.close();
}

const RING: RingOptions = { blockSize: 16384, blockCount: 64, retireTimeoutMs: 2 };
const receivePaths: [string, RingOptions | false][] = [
  ['ring', RING],
  ['recvmmsg', false],
];

describe('PacketSocket.create: options are checked before any socket exists', () => {
  const bad: [string, unknown, string | RegExp][] = [
    ['an unknown interface', { interface: 'nosuch0' }, /ENODEV.*no interface "nosuch0"/],
    ['an interface index that does not exist', { interface: 9999 }, /ENXIO|ENODEV/],
    ['a protocol name nobody knows', { protocol: 'ipx' }, 'ERR_INVALID_ARG_VALUE'],
    ['protocol 0 (receives nothing)', { protocol: 0 }, 'ERR_OUT_OF_RANGE'],
    ['a protocol above 0xffff', { protocol: 0x10000 }, 'ERR_OUT_OF_RANGE'],
    ['a mode that is not raw or cooked', { mode: 'fast' }, 'ERR_INVALID_ARG_VALUE'],
    ['a string snap length', { snapLength: '64' }, 'ERR_INVALID_ARG_TYPE'],
    ['a zero snap length', { snapLength: 0 }, 'ERR_OUT_OF_RANGE'],
    ['promiscuous without an interface', { promiscuous: true }, 'ERR_INVALID_ARG_VALUE'],
    ['promiscuous as a string', { promiscuous: 'yes', interface: 'lo' }, 'ERR_INVALID_ARG_TYPE'],
    ['a block size that is not a page multiple', { ring: { blockSize: 5000 } }, 'ERR_OUT_OF_RANGE'],
    ['a frame size that does not divide the block', { ring: { frameSize: 48 * 3 } }, 'ERR_OUT_OF_RANGE'],
    ['a filter that is not an array', { filter: 'udp' }, 'ERR_INVALID_ARG_TYPE'],
    ['a filter the kernel would refuse', { filter: [{ code: 0x15, jt: 0, jf: 0, k: 1 }] }, 'ERR_BPF_INVALID'],
    ['lockFilter without a filter', { lockFilter: true }, 'ERR_INVALID_ARG_VALUE'],
    ['a misspelt option', { interfce: 'lo' }, 'ERR_INVALID_ARG_VALUE'],
    ['a fanout group out of range', { fanout: { group: 70000 } }, 'ERR_OUT_OF_RANGE'],
    ['an unknown fanout mode', { fanout: { group: 1, mode: 'roundrobin' } }, 'ERR_INVALID_ARG_VALUE'],
  ];
  it.each(bad)('rejects %s', (_what, options, expected) => {
    const fds = readFileSync('/proc/net/packet', 'utf8');
    let error: NodeJS.ErrnoException | undefined;
    try {
      PacketSocket.create(options as never);
    } catch (e) {
      error = e as NodeJS.ErrnoException;
    }
    expect(error).toBeInstanceOf(Error);
    if (expected instanceof RegExp) expect(`${error?.code} ${error?.message}`).toMatch(expected);
    else expect(error?.code).toBe(expected);
    // Nothing was left open in the kernel by the failed attempt.
    expect(readFileSync('/proc/net/packet', 'utf8').split('\n').length).toBeLessThanOrEqual(fds.split('\n').length);
  });

  it('fails with the kernel EPERM and a hint on how to grant CAP_NET_RAW', async () => {
    const script = `
      import { PacketSocket } from ${JSON.stringify(path.resolve(here, '../lib/packet/index.ts'))};
      try { PacketSocket.create({ interface: 'lo' }); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, errno: e.errno, message: e.message })); }`;
    const result = await runWithoutCaps(['net_raw'], process.execPath, [
      ...tsxNode,
      '--input-type=module',
      '-e',
      script,
    ]);
    const error = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(error).toMatchObject({ code: 'EPERM', syscall: 'socket', errno: -1 });
    expect(error.message).toMatch(/^EPERM: operation not permitted, socket: packet sockets need CAP_NET_RAW/);
    expect(error.message).toContain('setcap cap_net_raw+ep');
  });
});

describe('filters are never bypassed', () => {
  let ports: { ports: number[]; close: () => void };
  beforeAll(async () => {
    ports = await holdPorts(2);
  });
  afterAll(() => ports.close());

  it('opening under a flood delivers only what the filter accepts (the naive order leaks)', async () => {
    const [keep, drop] = ports.ports as [number, number];
    const flood = await startFlood([drop, drop, drop, keep], 2.5);

    // Control: socket(ETH_P_ALL), bind, then attach. Whatever arrived before the filter stays
    // queued and is delivered: this proves the flood reaches packet sockets while they open.
    const naive = new native.SocketHandle(constants.AF_PACKET, constants.SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */);
    native.bind(
      naive.fd,
      encodeLinkLayer({ protocol: constants.ETH_P_ALL, interfaceIndex: native.ifNameToIndex(flooded) }),
    );
    stall(5);
    native.attachFilter(naive.fd, toBytes(udpFilter(keep)));
    const leaked: number[] = [];
    naive.onMessages = (data, meta) => {
      for (let i = 0; i < messageCount(meta); i++) {
        const { dataOffset, captured } = messageEntry(meta, i);
        const frame = data.subarray(dataOffset, dataOffset + captured);
        if (frame.length >= 38 && frame.readUInt16BE(12) === 0x0800 && frame[23] === 17) leaked.push(dstPort(frame));
      }
      return true;
    };
    naive.startReceiving({ slots: 64, slotSize: 128, flags: constants.MSG_TRUNC });
    await sleep(30);
    naive.close();
    expect(leaked.filter((p) => p !== keep).length).toBeGreaterThan(0);

    // rawsock: the filter is attached before bind, on both receive paths, socket after socket.
    let accepted = 0;
    for (let round = 0; round < 6; round++) {
      for (const [, ring] of receivePaths) {
        const socket = PacketSocket.create({ interface: flooded, filter: udpFilter(keep), ring });
        stall(5); // packets that arrive now wait in the kernel: only filtered ones may be there
        const packets = await collect(socket, 25);
        socket.close();
        for (const packet of packets) expect(dstPort(packet.data)).toBe(keep);
        accepted += packets.length;
      }
    }
    expect(accepted).toBeGreaterThan(0);
    flood.child.kill();
  });

  it.each(receivePaths)(
    'replacing the filter under a flood never lets an old-filter packet through (%s)',
    async (_name, ring) => {
      const [a, b] = ports.ports as [number, number];
      const flood = await startFlood([a, b], 2.5);
      const socket = PacketSocket.create({ interface: flooded, filter: udpFilter(a), ring });
      let expected = a;
      const seen = new Map<number, number>();
      let wrong = 0;
      let batchesWrong = 0;
      socket.on('packet', (packet) => {
        const port = dstPort(packet.data);
        seen.set(port, (seen.get(port) ?? 0) + 1);
        if (port !== expected) wrong++;
      });
      socket.on('batch', (batch) => {
        for (let i = 0; i < batch.length; i++) if (dstPort(batch.data(i)) !== expected) batchesWrong++;
      });
      for (let round = 0; round < 8; round++) {
        await sleep(20);
        stall(15); // let blocks fill (ring) or the queue grow (recvmmsg) under the current program
        const next = expected === a ? b : a;
        socket.setFilter(udpFilter(next));
        expected = next;
      }
      // Once more from inside a callback: the rest of that batch was captured under the old program.
      await new Promise<void>((resolve) => {
        socket.once('packet', () => {
          const next = expected === a ? b : a;
          socket.setFilter(udpFilter(next));
          expected = next;
          resolve();
        });
      });
      await sleep(30);
      flood.child.kill();
      const stats = socket.stats();
      socket.close();
      expect(wrong).toBe(0);
      expect(batchesWrong).toBe(0);
      expect(seen.get(a)).toBeGreaterThan(0);
      expect(seen.get(b)).toBeGreaterThan(0);
      // Packets captured under an old program were there, and were re-checked or drained away.
      expect(stats.discarded).toBeGreaterThan(0);
    },
  );

  it('detaches, locks (SO_LOCK_FILTER: then EPERM) and reads the program back', async () => {
    const [a] = ports.ports as [number];
    const program = udpFilter(a);
    const socket = PacketSocket.create({ interface: 'lo', filter: program, ignoreOutgoing: true });
    expect(socket.kernelFilter()).toEqual(program);
    socket.detachFilter();
    expect(socket.kernelFilter()).toBeNull();
    expect(socket.filter).toBeNull();
    socket.setFilter(program);
    socket.lockFilter();
    expect(socket.filterLocked).toBe(true);
    expect(() => socket.setFilter(udpFilter(a + 1))).toThrow(/EPERM.*locked/);
    expect(() => socket.detachFilter()).toThrow(/EPERM.*locked/);
    expect(socket.kernelFilter()).toEqual(program);
    socket.close();
    const locked = PacketSocket.create({ interface: 'lo', filter: program, lockFilter: true });
    expect(() => locked.setFilter(null)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    locked.close();
  });
});

describe.each(receivePaths)('receiving (%s)', (name, ring) => {
  let ports: { ports: number[]; close: () => void };
  beforeAll(async () => {
    ports = await holdPorts(1);
  });
  afterAll(() => ports.close());

  it('reports the receive path', () => {
    const socket = PacketSocket.create({ interface: 'lo', ring });
    expect(socket.receiveMode).toBe(name);
    socket.close();
  });

  it('gives each packet its lengths, timestamp, interface, type, protocol and source address', async () => {
    const [port] = ports.ports as [number];
    const full = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ring });
    const snapped = PacketSocket.create({
      interface: 'lo',
      filter: udpFilter(port),
      snapLength: 60,
      ignoreOutgoing: true,
      ring,
    });
    const fullPackets = collect(full, 150);
    const snappedPackets = collect(snapped, 150);
    const before = BigInt(Date.now() - 1) * 1_000_000n;
    await sendUdp(port, [Buffer.alloc(100, 7)]);
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    const [both, cut] = await Promise.all([fullPackets, snappedPackets]);
    full.close();
    snapped.close();

    // lo shows every packet twice: outgoing, then incoming.
    expect(both.map((p) => p.packetType).sort()).toEqual(['host', 'outgoing']);
    const frameLength = 14 + 20 + 8 + 100;
    for (const packet of both) {
      expect(packet.capturedLength).toBe(frameLength);
      expect(packet.originalLength).toBe(frameLength);
      expect(packet.truncated).toBe(false);
      expect(packet.data.length).toBe(frameLength);
      expect(packet.interfaceIndex).toBe(native.ifNameToIndex('lo'));
      expect(packet.interfaceName).toBe('lo');
      expect(packet.protocol).toBe(0x0800);
      expect(packet.hardwareType).toBe(772); // ARPHRD_LOOPBACK
      expect(packet.sourceAddress).toBe('00:00:00:00:00:00');
      expect(packet.networkOffset).toBe(14);
      expect(packet.vlan).toBeUndefined();
      expect(packet.timestampNs).toBeGreaterThanOrEqual(before);
      expect(packet.timestampNs).toBeLessThanOrEqual(after);
      const decoded = packet.decode();
      expect(decoded.ok).toBe(true);
      expect(decoded.transport).toMatchObject({ destinationPort: port });
      expect(decoded.payload).toEqual(Buffer.alloc(100, 7));
    }
    expect(cut).toHaveLength(1);
    expect(cut[0]?.packetType).toBe('host');
    expect(cut[0]?.capturedLength).toBe(60);
    expect(cut[0]?.data).toEqual((both[0] as Packet).data.subarray(0, 60));
    expect(cut[0]?.originalLength).toBe(frameLength);
    expect(cut[0]?.truncated).toBe(true);
  });

  it('cooked mode starts at the network header; IPv6 has its own protocol', async () => {
    const [port] = ports.ports as [number];
    const socket = PacketSocket.create({
      interface: 'lo',
      mode: 'cooked',
      protocol: 'ipv6',
      ignoreOutgoing: true,
      filter: compile(`udp dst port ${port}`, { linkType: 'raw' }),
      ring,
    });
    expect(socket.linkType).toBe('linux-sll');
    const packets = collect(socket, 150);
    await sendUdp(port, ['six'], '::1');
    await sendUdp(port, ['four'], '127.0.0.1'); // IPv4: not this socket's protocol
    const [packet, ...rest] = await packets;
    socket.close();
    expect(rest).toEqual([]);
    expect(packet?.protocol).toBe(0x86dd);
    expect((packet?.data[0] as number) >> 4).toBe(6);
    expect(packet?.networkOffset).toBe(0);
    expect(packet?.capturedLength).toBe(40 + 8 + 3);
    expect(packet?.decode().payload.toString()).toBe('six');
  });

  it('packet Buffers stay valid and unchanged after later batches', async () => {
    const [port] = ports.ports as [number];
    const socket = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ignoreOutgoing: true, ring });
    const packets = collect(socket, 300);
    for (let round = 0; round < 5; round++) {
      await sendUdp(
        port,
        Array.from({ length: 20 }, (_, i) => `round ${round} packet ${i}`),
      );
      await sleep(20);
    }
    const received = await packets;
    socket.close();
    expect(received).toHaveLength(100);
    received.forEach((packet, n) => {
      expect(packet.decode().payload.toString()).toBe(`round ${Math.floor(n / 20)} packet ${n % 20}`);
    });
  });

  it('async iterators: packets(), batches(), AbortSignal, and close ends them', async () => {
    const [port] = ports.ports as [number];
    const socket = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ignoreOutgoing: true, ring });
    const controller = new AbortController();
    const batches = socket.batches({ signal: controller.signal });
    const packets = socket.packets();
    await sendUdp(port, ['one', 'two', 'three']);
    const seen: string[] = [];
    for await (const packet of packets) {
      seen.push(packet.decode().payload.toString());
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['one', 'two', 'three']);
    const first = await batches.next();
    expect(first.done).toBe(false);
    expect(first.value?.length).toBeGreaterThan(0);
    controller.abort();
    await expect(batches.next()).rejects.toMatchObject({ name: 'AbortError' });
    const late = socket.packets();
    setTimeout(() => socket.close(), 20);
    expect(await late.next()).toEqual({ value: undefined, done: true });
  });

  it('packet loops take whole batches: an abort mid-batch ends the loop at once, two loops each see all', async () => {
    const [port] = ports.ports as [number];
    const socket = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ignoreOutgoing: true, ring });
    const controller = new AbortController();
    const aborted = socket.packets({ signal: controller.signal });
    const other = socket.packets();
    const payloads = Array.from({ length: 30 }, (_, i) => `p${i}`);
    await sendUdp(port, payloads);
    const first = await aborted.next();
    expect(first.value?.decode().payload.toString()).toBe('p0');
    // The rest of the batch that held p0 is never handed out after the abort.
    controller.abort();
    await expect(aborted.next()).rejects.toMatchObject({ name: 'AbortError' });
    const seen: string[] = [];
    for await (const packet of other) {
      seen.push(packet.decode().payload.toString());
      if (seen.length === payloads.length) break;
    }
    expect(seen).toEqual(payloads);
    socket.close();
  });

  it('stats add up: received = delivered + dropped + discarded', async () => {
    const [port] = ports.ports as [number];
    const socket = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ignoreOutgoing: true, ring });
    const packets = collect(socket, 200);
    await sendUdp(
      port,
      Array.from({ length: 50 }, (_, i) => `n${i}`),
    );
    expect(await packets).toHaveLength(50);
    const stats = socket.stats();
    expect(stats).toMatchObject({ received: 50, dropped: 0, delivered: 50, discarded: 0 });
    expect(socket.stats().received).toBe(50); // totals are kept although the kernel resets its counters on read
    socket.close();
    expect(socket.stats().delivered).toBe(50);
  });
});

describe('backpressure', () => {
  it('a slow consumer stops the reading; the kernel counts the drops; nothing piles up in JS', async () => {
    const { ports, close } = await holdPorts(1);
    const [port] = ports as [number];
    const socket = PacketSocket.create({
      interface: flooded,
      filter: udpFilter(port),
      ring: { blockSize: 8192, blockCount: 2, retireTimeoutMs: 1 },
    });
    const batches = socket.batches({ highWaterMark: 1 });
    const flood = await startFlood([port], 0.6);
    const first = await batches.next(); // then stop consuming while the flood goes on
    expect(first.done).toBe(false);
    await flood.done;
    await sleep(50);
    const stats = socket.stats();
    // A 16 KiB ring holds a few hundred packets; everything else was dropped by the kernel.
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.delivered).toBeLessThan(2000);
    expect(stats.received).toBeGreaterThan(stats.delivered + stats.dropped - 1000);
    socket.close();
    close();
  });
});

describe('the recvmmsg fallback', () => {
  it("takes the default ring's memory as its kernel queue unless a receiveBufferSize is given", () => {
    const rcvbuf = (socket: PacketSocket) =>
      native.getsockopt(socket.fd, constants.SOL_SOCKET, constants.SO_RCVBUF, 'int');
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const fallback = PacketSocket.create({ interface: 'lo', filter: DROP_ALL, ring: false });
    const chosen = PacketSocket.create({ interface: 'lo', filter: DROP_ALL, ring: false, receiveBufferSize: 1 << 16 });
    const ring = PacketSocket.create({ interface: 'lo', filter: DROP_ALL });
    try {
      // 8 MiB asked (the kernel doubles it); capped at rmem_max only without CAP_NET_ADMIN.
      expect([2 * 8 * 2 ** 20, 2 * rmemMax]).toContain(rcvbuf(fallback));
      expect(rcvbuf(chosen)).toBe(2 << 16);
      // The ring path leaves SO_RCVBUF alone (the ring is its queue).
      expect(rcvbuf(ring)).toBeLessThan(rcvbuf(fallback));
    } finally {
      for (const socket of [fallback, chosen, ring]) socket.close();
    }
  });
});

describe('send', () => {
  // On lo the kernel treats a frame from 127.0.0.1 that has no route attached as martian, so
  // the UDP socket on the far side is tested across a veth pair (packet-veth.test.ts); here a
  // capturing socket shows the exact bytes that went out.
  it('raw: a whole frame as given; cooked: the kernel builds the link header', async () => {
    const { ports, close } = await holdPorts(1);
    const [port] = ports as [number];
    const udp = (text: string) =>
      buildIPv4Packet({
        source: '127.0.0.1',
        destination: '127.0.0.1',
        protocol: 17,
        payload: buildUdpDatagram({
          source: '127.0.0.1',
          destination: '127.0.0.1',
          sourcePort: 40000,
          destinationPort: port,
          payload: Buffer.from(text),
        }),
      });
    const capture = PacketSocket.create({ interface: 'lo', filter: udpFilter(port) });
    const packets = collect(capture, 150);
    // Send-only sockets: a drop-all filter keeps them from queueing what they see.
    const raw = PacketSocket.create({ interface: 'lo', filter: DROP_ALL, ring: false });
    const cooked = PacketSocket.create({ mode: 'cooked', interface: 'lo', protocol: 'ip', filter: DROP_ALL });
    const frame = buildEthernetFrame({
      destination: '00:00:00:00:00:00',
      source: '00:00:00:00:00:00',
      etherType: 0x0800,
      payload: udp('raw frame'),
    });
    expect(await raw.send(frame)).toBe(frame.length);
    expect(await cooked.send(udp('cooked'), { destination: '00:00:00:00:00:00' })).toBe(udp('cooked').length);
    expect(raw.trySend(frame, { interface: 'lo' })).toBe(true);
    expect(() => cooked.send(udp('x'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const all = PacketSocket.create({ filter: DROP_ALL });
    expect(() => all.send(frame)).toThrow(/say which one to send on/);
    all.close();
    const seen = (await packets).filter((p) => p.packetType === 'outgoing').map((p) => p.data.toString('hex'));
    expect(seen).toEqual([
      frame.toString('hex'),
      buildEthernetFrame({
        destination: '00:00:00:00:00:00',
        source: '00:00:00:00:00:00',
        etherType: 0x0800,
        payload: udp('cooked'),
      }).toString('hex'),
      frame.toString('hex'),
    ]);
    raw.close();
    cooked.close();
    capture.close();
    close();
  });
});

describe('against Python AF_PACKET', () => {
  it.each(receivePaths)('bytes and metadata match what recvfrom() reports (%s)', async (_name, ring) => {
    const { ports, close } = await holdPorts(1);
    const [port] = ports as [number];
    const python = spawn('python3', [path.join(here, 'helpers/packet-recv.py'), 'lo', String(port), '4']);
    const exited = once(python, 'close');
    const lines = createInterface({ input: python.stdout as NodeJS.ReadableStream });
    const output: string[] = [];
    const ready = new Promise<void>((resolve) =>
      lines.on('line', (line) => (line === 'READY' ? resolve() : output.push(line))),
    );
    await ready;
    const socket = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ring });
    const packets = collect(socket, 200);
    await sendUdp(port, ['first', Buffer.alloc(300, 3)]);
    const ours = await packets;
    await exited;
    socket.close();
    close();
    const theirs = output.map((line) => JSON.parse(line));
    expect(
      ours.map((p) => ({
        hex: p.data.toString('hex'),
        ifname: p.interfaceName,
        protocol: p.protocol,
        pkttype: p.packetTypeCode,
        hatype: p.hardwareType,
        address: p.sourceAddress,
      })),
    ).toEqual(theirs);
  });
});

describe('pcap output', () => {
  it("PcapWriter with the socket's pcapOptions() stores what was captured", async () => {
    const { ports, close } = await holdPorts(1);
    const [port] = ports as [number];
    const raw = PacketSocket.create({ interface: 'lo', filter: udpFilter(port), ignoreOutgoing: true, snapLength: 50 });
    const cooked = PacketSocket.create({
      interface: 'lo',
      mode: 'cooked',
      filter: compile(`udp dst port ${port}`, { linkType: 'raw' }),
      ignoreOutgoing: true,
    });
    expect(raw.pcapOptions()).toEqual({ linkType: 'ethernet', snaplen: 50 });
    expect(cooked.pcapOptions()).toEqual({ linkType: 'linux-sll', snaplen: 262144 });
    const rawPackets = collect(raw, 150);
    const cookedPackets = collect(cooked, 150);
    await sendUdp(port, [Buffer.alloc(10, 1), Buffer.alloc(200, 2)]);
    const files: Record<string, ReturnType<typeof readPcap>> = {};
    for (const [name, socket, packets] of [
      ['raw', raw, await rawPackets],
      ['cooked', cooked, await cookedPackets],
    ] as const) {
      const stream = new PassThrough();
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c));
      const writer = new PcapWriter(stream, socket.pcapOptions());
      for (const packet of packets) writer.write(packet.toPcap());
      await writer.close();
      files[name] = readPcap(Buffer.concat(chunks));
    }
    raw.close();
    cooked.close();
    close();
    expect(files.raw?.linkType).toBe(1); // LINKTYPE_ETHERNET
    expect(files.raw?.packets.map((p) => [p.capturedLength, p.originalLength])).toEqual([
      [50, 14 + 20 + 8 + 10],
      [50, 14 + 20 + 8 + 200],
    ]);
    expect(files.cooked?.linkType).toBe(113); // LINKTYPE_LINUX_SLL: 16-byte header, then IP
    const sll = files.cooked?.packets[1]?.data as Buffer;
    expect(sll.readUInt16BE(0)).toBe(0); // sll_pkttype: host
    expect(sll.readUInt16BE(2)).toBe(772); // ARPHRD_LOOPBACK
    expect(sll.readUInt16BE(14)).toBe(0x0800);
    expect((sll[16] as number) >> 4).toBe(4);
    expect(files.cooked?.packets[1]?.originalLength).toBe(16 + 20 + 8 + 200);
  });
});

describe('lifecycle', () => {
  it('close unmaps the ring and closes the socket; a closed socket refuses work', async () => {
    const socket = PacketSocket.create({ interface: 'lo' });
    const fd = socket.fd;
    const inode = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${socket.fd}`))?.[1];
    expect(readFileSync('/proc/self/maps', 'utf8')).toContain(`socket:[${inode}]`);
    socket.close();
    expect(socket.closed).toBe(true);
    expect(() => socket.setFilter(null)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => socket.send(Buffer.alloc(20))).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(fd).toBeGreaterThan(0);
    expect(readFileSync('/proc/self/maps', 'utf8')).not.toContain(`socket:[${inode}]`);
  });

  it('works in a worker thread', async () => {
    const worker = new Worker(path.join(here, 'helpers/tsx-worker.mjs'), {
      workerData: { module: path.join(here, 'helpers/packet-member.ts'), options: { interface: 'lo' } },
    });
    const [message] = await once(worker, 'message');
    expect(message).toMatchObject({ ready: true, receiveMode: 'ring' });
    worker.postMessage('stop');
    await once(worker, 'exit');
  });
});
