// A PacketSocket in a worker thread (or a child process): opens with workerData.options, says
// { ready, receiveMode }, collects the payloads of UDP packets to workerData.port, answers 'count'
// with { count }, and on 'stop' reports { payloads, stats } and exits. Used by the fanout and
// worker tests.
import { parentPort, workerData } from 'node:worker_threads';
import { PacketSocket, type PacketSocketOptions } from '../../lib/packet/index.js';

const { options } = workerData as { options: PacketSocketOptions };
const socket = PacketSocket.create(options);
const payloads: string[] = [];
socket.on('batch', (batch) => {
  for (let i = 0; i < batch.length; i++) payloads.push(batch.decode(i).payload.toString());
});
parentPort?.postMessage({ ready: true, receiveMode: socket.receiveMode });
parentPort?.on('message', (message) => {
  if (message === 'count') parentPort?.postMessage({ count: payloads.length });
  if (message !== 'stop') return;
  // Let the last ring block retire before reporting.
  setTimeout(() => {
    const stats = socket.stats();
    socket.close();
    parentPort?.postMessage({ payloads, stats });
    parentPort?.close();
  }, 50);
});
