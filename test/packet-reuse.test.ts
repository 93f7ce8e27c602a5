// ring.reuseBatchMemory: 'batch' listeners get borrowed memory, everything else its own copy.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../lib/bpf/compile.js';
import { type Packet, type PacketBatch, PacketSocket } from '../lib/packet/index.js';
import { waitUntil } from './helpers/wait.js';

const open: (PacketSocket | dgram.Socket)[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function boundPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  open.push(socket);
  return socket.address().port;
}

async function send(port: number, count: number): Promise<void> {
  const sender = dgram.createSocket('udp4');
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => sender.send(`payload ${i}`, port, '127.0.0.1', () => resolve()));
    // Small blocks and a short retire timeout: several batches, each reusing the same memory.
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 15));
  }
  sender.close();
}

function socketFor(port: number): PacketSocket {
  const socket = PacketSocket.create({
    interface: 'lo',
    filter: compile(`udp dst port ${port}`),
    ignoreOutgoing: true,
    ring: { blockSize: 16384, blockCount: 256, retireTimeoutMs: 2, reuseBatchMemory: true },
  });
  open.push(socket);
  return socket;
}

// Raw mode on lo: 14 bytes of Ethernet header, 20 of IPv4, 8 of UDP.
const payload = (data: Buffer) => data.subarray(42).toString();

describe('ring.reuseBatchMemory', () => {
  it('hands borrowed batches to listeners; copy() keeps one intact', async () => {
    const port = await boundPort();
    const socket = socketFor(port);
    const borrowed: PacketBatch[] = [];
    const copies: PacketBatch[] = [];
    const seenInListener: string[] = [];
    socket.on('batch', (batch: PacketBatch) => {
      expect(batch.borrowed).toBe(true);
      for (let i = 0; i < batch.length; i++) seenInListener.push(payload(batch.data(i)));
      borrowed.push(batch);
      copies.push(batch.copy());
    });
    await send(port, 60);
    await waitUntil(() => seenInListener.length >= 60);
    const expected = Array.from({ length: 60 }, (_, i) => `payload ${i}`);
    expect(seenInListener).toEqual(expected);
    expect(borrowed.length).toBeGreaterThan(1);
    // The copies stayed intact; the borrowed batches share one buffer the socket kept reusing.
    expect(copies.flatMap((b) => Array.from({ length: b.length }, (_, i) => payload(b.data(i))))).toEqual(expected);
    expect(copies.every((b) => !b.borrowed)).toBe(true);
    expect(new Set(borrowed.map((b) => b.buffer.buffer)).size).toBe(1);
  });

  it('packets from loops and events get their own memory', async () => {
    const port = await boundPort();
    const socket = socketFor(port);
    const events: Packet[] = [];
    socket.on('packet', (packet: Packet) => events.push(packet));
    const looped: Packet[] = [];
    const loop = (async () => {
      for await (const packet of socket) {
        looped.push(packet);
        if (looped.length === 60) break;
      }
    })();
    await send(port, 60);
    await loop;
    const expected = Array.from({ length: 60 }, (_, i) => `payload ${i}`);
    expect(looped.map((p) => payload(p.data))).toEqual(expected);
    expect(events.slice(0, 60).map((p) => payload(p.data))).toEqual(expected);
  });

  it('rejects a non-boolean', () => {
    expect(() => PacketSocket.create({ ring: { reuseBatchMemory: 'yes' as never } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
