// Batched sends (lib/core/send-batcher.ts) on Unix, UDP-Lite and packet sockets: sendBatch(),
// and the send() calls of one turn leaving in one sendmmsg(2). Real receivers (Python) check that
// everything arrives, in order; errors keep their codes and explanations; a full Unix receiver
// makes sends wait. Speed is the send benchmark's business (bench/send), never asserted here.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../lib/native.js';
import { PacketSocket } from '../lib/packet/index.js';
import { UdpLiteSocket, udpLiteSupported } from '../lib/udplite/index.js';
import { UnixDatagramSocket } from '../lib/unix/index.js';
import { type Peer, scratchDir, startPeer } from './helpers/unix-peers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
let unique = 0;

/** Datagram i: its index as 4 little-endian bytes, padded to `size`. */
function numbered(i: number, size = 4): Buffer {
  const datagram = Buffer.alloc(size);
  datagram.writeUInt32LE(i);
  return datagram;
}

// Reads COUNT datagrams, slowly (a pause every 500, so the sender meets a full queue again and
// again), and prints how many came, how many were out of order, and the first index missing.
const PY_SLOW_READER = `
import json, socket, sys, time
kind, where, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == 'unix':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind('\\0' + where[1:] if where.startswith('@') else where)
elif kind == 'udplite':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(('127.0.0.1', 0))
else:  # packet: frames of EtherType 0x88b5 on lo, the incoming copy only (PACKET_HOST)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(('lo', 0x88b5))
s.settimeout(10)
print(json.dumps({'ready': True, 'port': s.getsockname()[1] if kind == 'udplite' else 0}), flush=True)
received = out_of_order = 0
while received < count:
    data, address = s.recvfrom(65536)
    if kind == 'packet':
        if address[2] != 0: continue
        data = data[14:]
    if int.from_bytes(data[:4], 'little') != received: out_of_order += 1
    received += 1
    if kind == 'unix' and received % 500 == 0: time.sleep(0.005)
print(json.dumps({'received': received, 'outOfOrder': out_of_order}), flush=True)
`;

async function slowReader(kind: 'unix' | 'udplite' | 'packet', where: string, count: number) {
  const peer: Peer = startPeer('python3', ['-c', PY_SLOW_READER, kind, where, String(count)]);
  const ready = JSON.parse(await peer.line(/ready/)) as { port: number };
  return {
    port: ready.port,
    result: async () => JSON.parse(await peer.line(/received/, 30_000)) as { received: number; outOfOrder: number },
  };
}

/**
 * Counts the calls of each native send method (send, sendBatch, sendStaged) on every SocketHandle
 * made meanwhile, and of native.sendmsg (the one-datagram send on a descriptor), until stop().
 */
function countNativeCalls(): { calls: Record<string, number>; stop(): void } {
  const Original = native.SocketHandle;
  const calls: Record<string, number> = {};
  const Counting = class extends (Original as unknown as new (...args: number[]) => object) {};
  const prototype = Original.prototype as unknown as Record<string, unknown>;
  for (const name of ['send', 'sendBatch', 'sendStaged']) {
    calls[name] = 0;
    Object.defineProperty(Counting.prototype, name, {
      value(this: unknown, ...args: unknown[]) {
        calls[name] = (calls[name] as number) + 1;
        return (prototype[name] as (...args: unknown[]) => unknown).apply(this, args);
      },
    });
  }
  (native as { SocketHandle: unknown }).SocketHandle = Counting;
  const sendmsg = native.sendmsg;
  calls.sendmsg = 0;
  native.sendmsg = (...args) => {
    calls.sendmsg = (calls.sendmsg as number) + 1;
    return sendmsg(...args);
  };
  return {
    calls,
    stop: () => {
      (native as { SocketHandle: unknown }).SocketHandle = Original;
      native.sendmsg = sendmsg;
    },
  };
}

describe('Unix: batched and same-turn sends', () => {
  it('the send() calls of one turn leave in one sendmmsg, and a lone send in one sendmsg', async () => {
    const counter = countNativeCalls();
    const name = `@rawsock-batch-${process.pid}-${unique++}`;
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    const sends = [0, 1, 2, 3, 4].map((i) => tx.send(numbered(i)));
    const none = { send: 0, sendBatch: 0, sendStaged: 0, sendmsg: 0 };
    expect(counter.calls).toEqual(none); // queued until the turn ends
    await expect(Promise.all(sends)).resolves.toEqual([4, 4, 4, 4, 4]);
    // Small datagrams are copied back to back into one buffer for the sendmmsg (sendStaged).
    expect(counter.calls).toEqual({ ...none, sendStaged: 1 });
    await tx.send(numbered(5));
    expect(counter.calls).toEqual({ ...none, sendStaged: 1, sendmsg: 1 });
    counter.stop();
    const got: number[] = [];
    for await (const m of rx.messages({ signal: AbortSignal.timeout(5000) })) {
      got.push(m.data.readUInt32LE(0));
      if (got.length === 6) break;
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    rx.close();
    tx.close();
  });

  it.each([
    ['connected', true],
    ['to a path', false],
  ])(
    '30,000 datagrams %s, as sendBatch(), send() and trySend() mixed, reach a slow Python reader complete and in order',
    async (_how, connected) => {
      const path = scratch.path(`slow-${unique++}.sock`);
      const total = 30_000;
      const reader = await slowReader('unix', path, total);
      const tx = connected ? UnixDatagramSocket.create().connect(path) : UnixDatagramSocket.create();
      const to = connected ? undefined : path;
      const sends: Promise<number>[] = [];
      let i = 0;
      while (i < total) {
        const kind = ((i / 1000) % 3) | 0;
        if (kind === 0) {
          const batch = Array.from({ length: 1000 }, (_, k) => ({ data: numbered(i + k), path: to }));
          sends.push(tx.sendBatch(batch));
          i += 1000;
        } else if (kind === 1) {
          for (let k = 0; k < 1000; k++, i++) sends.push(tx.send(numbered(i), to));
        } else {
          // trySend() never overtakes what is queued: false while earlier sends wait
          for (let k = 0; k < 1000; k++, i++) {
            const data = numbered(i);
            if (!tx.trySend(data, to)) sends.push(tx.send(data, to));
          }
        }
        if (i % 3000 === 0) await sleep(1); // let some turns end in between
      }
      await Promise.all(sends);
      expect(await reader.result()).toEqual({ received: total, outOfOrder: 0 });
      tx.close();
    },
  );

  it('small datagrams (copied for sendmmsg) and large ones (sent from their own buffers) mixed arrive intact and in order', async () => {
    const name = `@rawsock-mixed-${process.pid}-${unique++}`;
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    // 1,500 datagrams of 1 to 2,048 bytes (more than one 64 KiB copy buffer's worth), every 97th
    // one 3,000 or 60,000 bytes, and some empty; each filled with its own byte pattern.
    const sizes = Array.from({ length: 1500 }, (_, i) =>
      i % 97 === 5 ? (i % 2 ? 60_000 : 3000) : i % 101 === 7 ? 0 : 1 + ((i * 37) % 2048),
    );
    const datagrams = sizes.map((size, i) => Buffer.alloc(size, i % 251));
    const views = datagrams.map((d) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    const sends = [
      tx.sendBatch(datagrams.slice(0, 500).map((data) => ({ data }))),
      ...views.slice(500).map((data) => tx.send(data)),
    ];
    const got: Buffer[] = [];
    for await (const m of rx.messages({ signal: AbortSignal.timeout(10_000) })) {
      got.push(Buffer.from(m.data));
      if (got.length === datagrams.length) break;
    }
    const results = await Promise.all(sends);
    expect(results[0]).toBe(500);
    expect(results.slice(1)).toEqual(sizes.slice(500));
    expect(got.map((d) => d.length)).toEqual(sizes);
    expect(got.every((d, i) => d.equals(datagrams[i] as Buffer))).toBe(true);
    rx.close();
    tx.close();
  });

  it('a full receiver makes sends wait: nothing is sent until it reads, then everything is', async () => {
    const name = `@rawsock-full-${process.pid}-${unique++}`;
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    let done = 0;
    const batch = tx.sendBatch(Array.from({ length: 200 }, (_, i) => ({ data: numbered(i) }))).then((n) => {
      done = n;
      return n;
    });
    await sleep(100);
    expect(done).toBe(0); // net.unix.max_dgram_qlen (10) datagrams fit, the batch waits for room
    const got: number[] = [];
    for await (const m of rx.messages({ signal: AbortSignal.timeout(10_000) })) {
      got.push(m.data.readUInt32LE(0));
      if (got.length === 200) break;
    }
    await expect(batch).resolves.toBe(200);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    rx.close();
    tx.close();
  });

  it('errors keep their codes and explanations: the failed datagram, its index, and the ones before it sent', async () => {
    const name = `@rawsock-errors-${process.pid}-${unique++}`;
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create({ sendBufferSize: 4096 }).connect(name);
    const tooBig = Buffer.alloc(9000);
    const explained = expect.objectContaining({
      code: 'EMSGSIZE',
      syscall: 'sendmmsg',
      index: 2,
      message: expect.stringContaining(
        'the datagram is 9000 bytes, more than this socket can send: at most 8160 bytes',
      ),
    });
    await expect(tx.sendBatch([{ data: 'a' }, { data: 'b' }, { data: tooBig }, { data: 'never' }])).rejects.toThrow(
      explained,
    );
    // Same-turn send() calls: the failing one rejects, the others go, in order.
    const results = await Promise.allSettled([tx.send('c'), tx.send(tooBig), tx.send('d')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'EMSGSIZE',
      message: expect.stringContaining('at most 8160 bytes'),
    });
    const got: string[] = [];
    for await (const m of rx.messages({ signal: AbortSignal.timeout(5000) })) {
      got.push(m.data.toString());
      if (got.length === 4) break;
    }
    expect(got).toEqual(['a', 'b', 'c', 'd']);
    const missing = scratch.path('nobody-here.sock');
    // Two datagrams: they leave in one sendmmsg from the copy buffer (sendStaged), whose error is
    // explained as a lone send()'s.
    await expect(
      tx.sendBatch([
        { data: 'x', path: missing },
        { data: 'y', path: missing },
      ]),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'ENOENT',
        index: 0,
        message: expect.stringMatching(/nothing exists at that path/),
      }),
    );
    rx.close();
    tx.close();
  });

  it('bad input throws no system error and sends nothing; a closed socket throws ERR_SOCKET_CLOSED', async () => {
    const name = `@rawsock-closed-${process.pid}-${unique++}`;
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    // Argument errors throw at the call, as send()'s do (docs/sockets.md).
    expect(() => tx.sendBatch('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => tx.sendBatch([{ data: 'ok' }, { data: 5 as never }])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('datagrams[1].data') }),
    );
    // Queued this turn and closed in the same turn: what the receiver's queue has room for is sent
    // (net.unix.max_dgram_qlen is 10; the kernel lets one more in), the rest reject.
    const sends = Array.from({ length: 30 }, (_, i) => tx.send(numbered(i)));
    tx.close();
    const results = await Promise.allSettled(sends);
    const sent = results.filter((r) => r.status === 'fulfilled').length;
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThan(30);
    const got: number[] = [];
    for await (const m of rx.messages({ signal: AbortSignal.timeout(5000) })) {
      got.push(m.data.readUInt32LE(0));
      if (got.length === sent) break;
    }
    expect(got).toEqual(Array.from({ length: sent }, (_, i) => i));
    for (const r of results.slice(sent)) {
      expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_SOCKET_CLOSED' } });
    }
    expect(() => tx.sendBatch([{ data: 'x' }])).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => tx.send('x')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    rx.close();
  });
});

describe.runIf(udpLiteSupported())('UDP-Lite: batched and same-turn sends', () => {
  it('sendBatch() and same-turn send() calls reach a Python UDP-Lite receiver complete and in order', async () => {
    const total = 300;
    const reader = await slowReader('udplite', '', total);
    const tx = UdpLiteSocket.create({ family: 4 });
    const first = Array.from({ length: 100 }, (_, i) => ({ data: numbered(i, 16), port: reader.port }));
    const batch = tx.sendBatch(first);
    const singles = Array.from({ length: 100 }, (_, i) => tx.send(numbered(100 + i, 16), reader.port, '127.0.0.1'));
    await tx.connect(reader.port, '127.0.0.1');
    const connected = tx.sendBatch(Array.from({ length: 100 }, (_, i) => ({ data: numbered(200 + i, 16) })));
    await expect(batch).resolves.toBe(100);
    await expect(Promise.all(singles)).resolves.toHaveLength(100);
    await expect(connected).resolves.toBe(100);
    expect(await reader.result()).toEqual({ received: total, outOfOrder: 0 });
    expect(() => tx.sendBatch([{ data: 'x', port: 0 }])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    tx.close();
    expect(() => tx.sendBatch([{ data: 'x' }])).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('a kernel error rejects with its code and index', async () => {
    const tx = UdpLiteSocket.create({ family: 4 });
    // No port and not connected: the kernel wants a destination (EDESTADDRREQ).
    await expect(tx.sendBatch([{ data: 'x' }])).rejects.toMatchObject({ code: 'EDESTADDRREQ', index: 0 });
    tx.close();
  });
});

describe('packet sockets: batched and same-turn sends', () => {
  it('sendBatch() and same-turn send() calls of raw frames reach a Python AF_PACKET reader in order', async () => {
    const total = 200;
    const reader = await slowReader('packet', '', total);
    const tx = PacketSocket.open({
      mode: 'raw',
      interface: 'lo',
      protocol: 0x88b5,
      filter: [{ code: 6, jt: 0, jf: 0, k: 0 }],
    });
    const frame = (i: number) => Buffer.concat([Buffer.alloc(12), Buffer.from([0x88, 0xb5]), numbered(i, 46)]);
    const batch = tx.sendBatch(Array.from({ length: 100 }, (_, i) => ({ data: frame(i) })));
    const singles = Array.from({ length: 100 }, (_, i) => tx.send(frame(100 + i)));
    await expect(batch).resolves.toBe(100);
    await expect(Promise.all(singles)).resolves.toEqual(Array(100).fill(60));
    expect(await reader.result()).toEqual({ received: total, outOfOrder: 0 });
    expect(() => tx.sendBatch([{ data: frame(0), interface: 'no-such-if0' }])).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    tx.close();
    expect(() => tx.sendBatch([{ data: frame(0) }])).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});
