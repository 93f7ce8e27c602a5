// Worker-thread side of the worker test in test/udp.test.ts: keeps UdpSockets busy (single sends
// with control messages, sendmmsg batches, GSO sends into a GRO socket, all received back in the
// same worker), says { busy } once each kind worked, and never closes anything: the parent
// terminates it mid-use, or asks it to process.exit().
import { parentPort } from 'node:worker_threads';
import { UdpSocket } from '../../lib/udp/index.js';

const busy = new Set<string>();
const report = (kind: string) => {
  busy.add(kind);
  if (busy.size === 3) parentPort?.postMessage({ busy: [...busy].sort() });
};

const receiver = UdpSocket.create({ family: 4, receivePacketInfo: true, receiveTtl: true }).bind(0, '127.0.0.1');
const gro = UdpSocket.create({ family: 6, gro: true }).bind(0, '::1');
const sender4 = UdpSocket.create({ family: 4 });
const sender6 = UdpSocket.create({ family: 6 });
const port = receiver.address().port;

receiver.on('message', (m) => report(m.data.length === 1 ? 'batch' : 'single'));
(async () => {
  for await (const m of gro) if (m.segmentSize === 100) report('gso-gro');
})();
(async () => {
  for (;;) {
    await sender4.send('single', { port, address: '127.0.0.1', ttl: 7, source: '127.0.0.1' });
    await sender4.sendBatch(Array.from({ length: 16 }, () => ({ data: 'b', port, address: '127.0.0.1' })));
    await sender6.send(Buffer.alloc(1000), { port: gro.address().port, address: '::1', segmentSize: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
})();

parentPort?.on('message', (message) => {
  if (message === 'exit') process.exit(0);
});
