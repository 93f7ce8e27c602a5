// Worker-thread side of test/icmp-workers.test.ts: opens every ICMP and raw IP socket kind and
// keeps each busy (ping() runs without end, traceroute() loops over the error queue, raw sockets
// send and receive), says { busy } once every kind has worked, and never closes anything: the
// parent terminates it mid-use, or asks it to process.exit().
import { parentPort } from 'node:worker_threads';
import { PingSocket, ping } from '../../lib/icmp/index.js';
import { RawIpSocket } from '../../lib/ip/index.js';
import { traceroute } from '../../lib/traceroute/index.js';

const busy = new Set<string>();
const report = (kind: string) => {
  busy.add(kind);
  if (busy.size === 5) parentPort?.postMessage({ busy: [...busy].sort() });
};

// ping() over a ping socket and a raw one, each without end.
for (const type of ['dgram', 'raw'] as const) {
  ping('127.0.0.1', {
    type,
    count: Infinity,
    interval: 2,
    onEvent: (e) => e.type === 'reply' && report(`ping-${type}`),
  });
}
// An IPv6 PingSocket of its own, its loop open.
const six = PingSocket.create({ family: 6 });
(async () => {
  for (let sequence = 0; ; sequence = (sequence + 1) & 0xffff) {
    await six.send({ sequence }, '::1');
    for await (const _ of six) break;
    report('ping-socket-6');
  }
})();
// traceroute() to loopback: UDP probes answered by port unreachable, from the error queue.
(async () => {
  for (;;) {
    const result = await traceroute('127.0.0.1', { queries: 1, timeout: 1000 });
    if (result.reached) report('traceroute');
  }
})();
// A raw IP receiver fed by a raw IP sender.
const receiver = RawIpSocket.create({ family: 4, protocol: 253 }).bind('127.0.0.1');
const sender = RawIpSocket.create({ family: 4, protocol: 253 });
receiver.on('message', () => report('raw-ip'));
setInterval(() => sender.trySend('worker', '127.0.0.1'), 1);

parentPort?.on('message', (message) => {
  if (message === 'exit') process.exit(0);
});
