// Child process of test/batch-memory.test.ts (node --expose-gc): ring batches in recycled
// memory never overwrite a packet that is still referenced.
//
// Rounds of 200 datagrams to a port on lo, each received with `for await`. The packets of even
// rounds are kept (with a copy of their bytes), those of odd rounds dropped; after every round a
// full GC frees the dropped batches, so their memory goes back to the pool and later rounds
// land in it. At the end every kept packet must still hold its own bytes.
//
// Prints one JSON line: { received, kept, changed, freshBatches, recycledBatches }.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { port as portFilter } from '../../lib/bpf/builders.js';
import { type NativeSocketHandle, native } from '../../lib/native.js';
import { type Packet, PacketSocket } from '../../lib/packet/index.js';

const gc = (globalThis as { gc?: () => void }).gc as () => void;
const ROUNDS = 8;
const PER_ROUND = 200;

const sink = dgram.createSocket('udp4');
sink.bind(0, '127.0.0.1');
await once(sink, 'listening');
const target = sink.address().port;
const socket = PacketSocket.create({
  interface: 'lo',
  filter: portFilter(target, { protocol: 'udp', direction: 'dst' }).toProgram({ framing: 'ethernet' }),
  ignoreOutgoing: true,
  ring: { blockSize: 1 << 16, blockCount: 64, retireTimeoutMs: 2 },
});
const sender = dgram.createSocket('udp4');
const packets = socket.packets();
const kept: { packet: Packet; copy: Buffer }[] = [];
let received = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < PER_ROUND; i++) sender.send(`round ${round} packet ${i} `.padEnd(600, '.'), target, '127.0.0.1');
  for (let i = 0; i < PER_ROUND; i++) {
    const next = await packets.next();
    if (next.done) throw new Error('the loop ended early');
    received++;
    if (round % 2 === 0) kept.push({ packet: next.value, copy: Buffer.from(next.value.data) });
  }
  gc();
  // External buffers' finalizers run from the event loop after the collection.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 5));
}
const changed = kept.filter(({ packet, copy }) => !packet.data.equals(copy)).length;
// The handle is protected API: a test looks at the reader's counters through it.
const info = native.packet.info((socket as unknown as { handle: NativeSocketHandle }).handle);
console.log(JSON.stringify({ received, kept: kept.length, changed, ...info }));
socket.close();
sender.close();
sink.close();
