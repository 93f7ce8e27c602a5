// Receive coalescing (UdpLiteSocket's `coalesceMs`): after a read that emptied the kernel's queue,
// reading rests, so a busy socket is read in large batches. Nothing may be lost or reordered, a
// datagram after a quiet spell is not held back, and a resting socket closes, pauses and unrefs
// like any other. The peer is a Python process sending at a steady pace. (Unix datagram sockets
// do not offer it: their queue holds net.unix.max_dgram_qlen datagrams, 10 by default, and then
// the sender waits, so resting would only throttle the sender.)
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UdpLiteSocket } from '../lib/udplite/index.js';
import { type RunResult, run, tsxNode } from './helpers/netns.js';
import { waitUntil } from './helpers/wait.js';

const lib = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../lib');

/** A bound receiver with `coalesceMs`, and a connected sender in this process. */
async function open(coalesceMs?: number | 'auto') {
  const rx = UdpLiteSocket.create({
    family: 4,
    receiveBufferSize: 4 << 20,
    ...(coalesceMs === undefined ? {} : { coalesceMs }),
  });
  rx.bind(0, '127.0.0.1');
  const tx = UdpLiteSocket.create({ family: 4 });
  tx.connect(rx.address().port, '127.0.0.1');
  return { rx, send: (data: string) => tx.send(data), close: () => closeBoth(rx, tx) };
}

/** Python sending `count` UDP-Lite datagrams "seq N" to 127.0.0.1:port, one per `gapMs`. */
function pythonSender(port: number, count: number, gapMs: number): Promise<RunResult> {
  const script = [
    'import socket, time',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)',
    `for i in range(${count}):`,
    `    s.sendto(b"seq %d" % i, ("127.0.0.1", ${port}))`,
    `    time.sleep(${gapMs / 1000})`,
  ].join('\n');
  return run('python3', ['-c', script]);
}

function closeBoth(...sockets: { close(): void }[]): void {
  for (const socket of sockets) socket.close();
}

/**
 * Collects 'message' events, numbering the native batches they came in: every datagram of one
 * batch is emitted within one callback, before its microtasks run.
 */
function recordBatches(rx: UdpLiteSocket) {
  const seen: { seq: string; batch: number; at: number }[] = [];
  let batch = 0;
  let pending = false;
  rx.on('message', (message) => {
    if (!pending) {
      pending = true;
      queueMicrotask(() => {
        pending = false;
        batch++;
      });
    }
    seen.push({ seq: message.data.toString(), batch, at: performance.now() });
  });
  return seen;
}

describe('UDP-Lite coalesceMs', () => {
  it('a steady stream arrives whole and in order, in far fewer batches than without coalescing', async () => {
    const count = 300;
    const batchesWith = async (coalesceMs: number) => {
      const { rx, close } = await open(coalesceMs);
      const seen = recordBatches(rx);
      const sender = pythonSender(rx.address().port, count, 1);
      await waitUntil(() => seen.length >= count, 20_000);
      const result = await sender;
      close();
      expect(result.code, result.stderr).toBe(0);
      expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: count }, (_, i) => `seq ${i}`));
      const span = (seen.at(-1)?.at ?? 0) - (seen[0]?.at ?? 0);
      return { batches: new Set(seen.map((s) => s.batch)).size, span };
    };
    const plain = await batchesWith(0);
    const coalesced = await batchesWith(25);
    // One datagram per millisecond: read as it comes, nearly every one is a batch of its own;
    // resting 25 ms after each read gathers them, so at most one batch per rest (plus slack).
    expect(plain.batches).toBeGreaterThan(count / 3);
    expect(coalesced.batches).toBeLessThanOrEqual(Math.ceil(coalesced.span / 25) + 3);
    expect(coalesced.batches * 3).toBeLessThan(plain.batches);
  });

  it("the default ('auto') delivers a bursty stream whole and in order, and never holds back one datagram at a time", async () => {
    const count = 300;
    const { rx, send, close } = await open();
    const seen = recordBatches(rx);
    // A burst of 3 back to back every 2 ms: each wake-up finds more than one, so the socket rests.
    const sender = run('python3', [
      '-c',
      [
        'import socket, time',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)',
        `for i in range(${count}):`,
        `    s.sendto(b"seq %d" % i, ("127.0.0.1", ${rx.address().port}))`,
        '    if i % 3 == 2: time.sleep(0.002)',
      ].join('\n'),
    ]);
    await waitUntil(() => seen.length >= count, 20_000);
    expect((await sender).code).toBe(0);
    expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: count }, (_, i) => `seq ${i}`));
    // Ping-pong, one datagram in flight: the default rests 1 ms only after a wake-up that found
    // more than one datagram, so it must not wait after each read the way a socket that always
    // rests 1 ms (coalesceMs: 1) does.
    const pingPong = async (socket: UdpLiteSocket, sendOne: (data: string) => Promise<unknown>) => {
      const messages = socket.messages();
      const started = performance.now();
      for (let i = 0; i < 50; i++) {
        await sendOne(`ping ${i}`);
        const next = await messages.next();
        expect(next.value?.data.toString()).toBe(`ping ${i}`);
      }
      await messages.return?.();
      return performance.now() - started;
    };
    rx.removeAllListeners('message');
    const auto = await pingPong(rx, send);
    close();
    const resting = await open(1);
    const always = await pingPong(resting.rx, resting.send);
    resting.close();
    expect(always).toBeGreaterThanOrEqual(50 * 0.9);
    expect(auto, `auto ${auto} ms, always resting ${always} ms`).toBeLessThan(always / 2);
  });

  it('a datagram during the rest waits for it; the first after a quiet spell is read at once', async () => {
    const rest = 600;
    const { rx, send, close } = await open(rest);
    const seen = recordBatches(rx);
    await send('first');
    await waitUntil(() => seen.length === 1, 20_000);
    const firstAt = seen[0]?.at ?? 0;
    await send('during the rest');
    await waitUntil(() => seen.length === 2, 20_000);
    const secondAt = seen[1]?.at ?? 0;
    expect(secondAt - firstAt).toBeGreaterThanOrEqual(rest - 100);
    await sleep(rest + 200); // quiet: the rest after the second read is over
    const sentAt = performance.now();
    await send('after a quiet spell');
    await waitUntil(() => seen.length === 3, 20_000);
    expect((seen[2]?.at ?? 0) - sentAt).toBeLessThan(rest - 100);
    expect(seen.map((s) => s.seq)).toEqual(['first', 'during the rest', 'after a quiet spell']);
    close();
  });

  it('pause, resume and close while resting: nothing lost, nothing after close', async () => {
    const { rx, send, close } = await open(300);
    const got: string[] = [];
    const loop = (async () => {
      for await (const message of rx.messages({ signal: AbortSignal.timeout(20_000) })) {
        got.push(message.data.toString());
        if (got.length === 1) {
          // Resting now. Stop the loop's consumer for a moment (the socket pauses), then go on.
          await sleep(50);
          await send('two');
          await send('three');
        }
        if (got.length === 3) break; // ends the loop: the socket pauses while resting
      }
    })();
    await send('one');
    await loop;
    expect(got).toEqual(['one', 'two', 'three']);
    await send('four'); // queued while paused, read by the next consumer
    const next = await rx.messages({ signal: AbortSignal.timeout(20_000) }).next();
    expect(next.value?.data.toString()).toBe('four');
    let after = 0;
    rx.on('message', () => after++);
    await send('five'); // read at once or after the rest: close first either way
    close();
    await sleep(400); // longer than the rest: its timer must not read from a closed socket
    expect(after).toBeLessThanOrEqual(1);
  });

  it('a resting socket lets the process exit at once when unref()ed or closed', async () => {
    const script = (end: string) => `
      const { UdpLiteSocket } = await import(${JSON.stringify(`${lib}/udplite/index.ts`)});
      const { performance } = await import('node:perf_hooks');
      const rx = UdpLiteSocket.create({ family: 4, coalesceMs: 1000 });
      rx.bind(0, '127.0.0.1');
      const tx = UdpLiteSocket.create({ family: 4 });
      tx.connect(rx.address().port, '127.0.0.1');
      let endedAt = 0;
      process.on('exit', () => console.log('exit after', Math.round(performance.now() - endedAt), 'ms'));
      rx.on('message', () => { tx.close(); ${end}; endedAt = performance.now(); });
      await tx.send('x');`;
    for (const end of ['rx.unref()', 'rx.close()']) {
      // After the first datagram the socket rests for 1 s; the process must not wait for that.
      const result = await run(process.execPath, [...tsxNode, '--input-type=module', '-e', script(end)]);
      expect(result, end).toMatchObject({ code: 0, signal: null, stderr: '' });
      const waited = Number(/exit after (\d+) ms/.exec(result.stdout)?.[1]);
      expect(waited, `${end}: ${result.stdout}`).toBeLessThan(500);
    }
  });
});

describe('bad coalesceMs', () => {
  it.each([
    [-1, 'ERR_OUT_OF_RANGE'],
    [1.5, 'ERR_OUT_OF_RANGE'],
    [1001, 'ERR_OUT_OF_RANGE'],
    ['5', 'ERR_INVALID_ARG_TYPE'],
  ])('%j is refused with %s, naming the option', (value, code) => {
    const create = () => UdpLiteSocket.create({ family: 4, coalesceMs: value as number });
    expect(create).toThrow(expect.objectContaining({ code, message: expect.stringContaining('coalesceMs') }));
  });
});
