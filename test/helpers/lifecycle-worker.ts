// Worker-thread side of test/lifecycle.test.ts: opens every socket kind, receives one datagram
// on each receiving kind, says { received }, and then never closes anything: on 'exit' it calls
// process.exit(0), or the parent terminates it. The parent checks that every socket went.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parentPort } from 'node:worker_threads';
import { constants, native } from '../../lib/native.js';
import { PacketSocket } from '../../lib/packet/index.js';
import { UdpLiteSocket } from '../../lib/udplite/index.js';
import { UnixDatagramSocket } from '../../lib/unix/index.js';

const first = async (iterable: AsyncIterable<unknown>) => {
  for await (const _ of iterable) return;
};

const holder = dgram.createSocket('udp4');
holder.bind(0, '127.0.0.1');
await once(holder, 'listening');
const port = holder.address().port;

const packet = PacketSocket.create({
  interface: 'lo',
  filter: [
    // udp dst port `port` on lo (Ethernet + IPv4 without options): ldh [36]; jeq port; ret
    { code: 0x28, jt: 0, jf: 0, k: 36 },
    { code: 0x15, jt: 0, jf: 1, k: port },
    { code: 0x06, jt: 0, jf: 0, k: 0xffff },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ],
});
const udplite = UdpLiteSocket.create({ family: 4 });
udplite.bind(0, '127.0.0.1');
const name = `@rawsock-lifecycle-worker-${process.pid}-${Math.random()}`;
const unix = UnixDatagramSocket.create().bind(name);
const handle = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
handle.onMessages = () => true;
handle.startReceiving({ slots: 4, slotSize: 64 });

const received: string[] = [];
const waits = [
  first(packet).then(() => received.push('packet')),
  first(udplite).then(() => received.push('udplite')),
  first(unix).then(() => received.push('unix')),
];
holder.send('to the packet socket', port, '127.0.0.1');
const sender = UdpLiteSocket.create({ family: 4 });
await sender.send('to udplite', udplite.address().port, '127.0.0.1');
const unixSender = UnixDatagramSocket.create();
await unixSender.send('to unix', name);
await Promise.all(waits);
received.sort();
// Loops that stay open over every kind when the worker ends.
for (const s of [packet, udplite, unix]) first(s);
parentPort?.postMessage({ received });
parentPort?.on('message', (message) => {
  if (message === 'exit') process.exit(0);
});
