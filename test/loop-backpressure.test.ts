// Receive loops with a small highWaterMark and a fast consumer: the socket pauses when a loop is
// full and must resume once it caught up. The consumer catches up inside the microtasks that run
// before the native batch callback returns, so a pause decided by that callback's return value
// must not override the resume that already happened (found by bench/capture: a `for await` loop
// stalled for good and the process exited with nothing left to wait for).
import dgram from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { compile } from '../lib/bpf/compile.js';
import { PacketSocket } from '../lib/packet/index.js';
import { UdpLiteSocket } from '../lib/udplite/index.js';
import { UnixDatagramSocket } from '../lib/unix/index.js';

const total = 5000;

// dgram's send callbacks come from process.nextTick when the kernel takes a datagram at once, so
// a send loop never returns to the event loop by itself: yield now and then, or no reader runs.
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

/** Sends "0", "1", … `total` times, awaiting each send and yielding to the loop now and then. */
async function sendAll(send: (data: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < total; i++) {
    await send(`${i}`);
    if (i % 50 === 49) await yieldToLoop();
  }
}

/** Counts what a `for await` loop with this highWaterMark receives; stops at `total` or 20 s. */
async function drain<T>(loop: AsyncIterableIterator<T>): Promise<number> {
  let got = 0;
  for await (const _ of loop) if (++got === total) break;
  return got;
}

describe.each([1, 8, 64])('a loop with highWaterMark %i gets every datagram', (highWaterMark) => {
  const signal = () => AbortSignal.timeout(20_000);

  it('UDP-Lite (recvmmsg reader)', async () => {
    const rx = UdpLiteSocket.create({ family: 4, receiveBufferSize: 8 << 20 });
    rx.bind(0, '127.0.0.1');
    const tx = UdpLiteSocket.create({ family: 4 });
    tx.connect(rx.address().port, '127.0.0.1');
    const received = drain(rx.messages({ highWaterMark, signal: signal() }));
    await sendAll((data) => tx.send(data));
    expect(await received).toBe(total);
    rx.close();
    tx.close();
  });

  it('Unix datagrams (the sender waits for room)', async () => {
    const name = `@rawsock-loop-${process.pid}-${highWaterMark}`;
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    const received = drain(rx.messages({ highWaterMark, signal: signal() }));
    await sendAll((data) => tx.send(data));
    expect(await received).toBe(total);
    rx.close();
    tx.close();
  });

  it('packet socket (ring reader)', async () => {
    const holder = dgram.createSocket('udp4');
    holder.bind(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = holder.address().port;
    const rx = PacketSocket.create({
      interface: 'lo',
      filter: compile(`udp dst port ${port}`),
      ignoreOutgoing: true,
      // Many small blocks: a consumer that stalls for a moment (GC, a slow machine) still has room.
      ring: { blockSize: 16384, blockCount: 512, retireTimeoutMs: 1 },
    });
    const received = drain(rx.messages({ highWaterMark, signal: signal() }));
    const tx = dgram.createSocket('udp4');
    await sendAll(
      (data) =>
        new Promise<void>((resolve, reject) => tx.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
    );
    expect(await received).toBe(total);
    expect(rx.stats().dropped).toBe(0);
    rx.close();
    tx.close();
    holder.close();
  });
});
