// Child process of test/lifecycle.test.ts: open/close cycles of packet sockets in 20 worker
// threads that live for the whole run, and the process's settled RSS after each round.
//
//   node --expose-gc --import tsx packet-cycles.ts OPTIONS_JSON CYCLES ROUNDS
//
// Prints one JSON line: { rss: [rss after warm-up, after round 1, …], fds: [socket descriptors, same],
// others: [the other descriptors' targets, same] }.
//
// Why this shape (each choice removes a source of noise that is not a leak):
// - Workers: closing a packet socket waits for an RCU grace period (~12 ms), so 20 threads let
//   the grace periods overlap. They are started once: every new isolate leaves allocator pages
//   behind (measured: +12..25 MiB over 20 rounds of fresh workers with no socket at all).
// - Each worker collects its own heap after a round, so garbage JS objects are not counted.
// - Receive buffers are mappings of their own (src-native/page_buffer.h), unmapped by close().
//   When they came from malloc, its per-thread arenas kept freed 4 MiB blocks and RSS moved by
//   ±15 MiB from round to round with nothing leaked.
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const [optionsJson = '{}', cyclesText = '1000', roundsText = '5'] = process.argv.slice(2);
const options = JSON.parse(optionsJson) as Record<string, unknown>;
const rounds = Number(roundsText);
const perWorker = Math.ceil(Number(cyclesText) / rounds / 20);
const lib = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../lib/packet/index.ts');
const gc = (globalThis as { gc?: () => void }).gc as () => void;

const workers = Array.from(
  { length: 20 },
  () =>
    new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       require('tsx/cjs/api').register();
       const { PacketSocket } = require(workerData.lib);
       parentPort.on('message', (count) => {
         for (let i = 0; i < count; i++) PacketSocket.create(workerData.options).close();
         globalThis.gc();
         setImmediate(() => {
           globalThis.gc();
           parentPort.postMessage('done');
         });
       });`,
      { eval: true, workerData: { lib, options } },
    ),
);

async function round(count: number): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      worker.postMessage(count);
      const [reply] = await once(worker, 'message');
      if (reply !== 'done') throw new Error(`worker said ${String(reply)}`);
    }),
  );
}

/** RSS after full collections (finalizers of native objects run on the next turn). */
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().rss;
}

/**
 * The process's socket descriptors, what a leaked packet socket would add. The other descriptors
 * are libuv's, the runtime's and (under the sanitizer build) ASan's, opened as they see fit; they
 * are reported beside, for a failure message.
 */
function descriptors(): { sockets: number; others: string[] } {
  let sockets = 0;
  const others: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // readdir's own descriptor, closed by now
    }
    if (target.startsWith('socket:')) sockets++;
    else others.push(target);
  }
  return { sockets, others: others.sort() };
}

const rss: number[] = [];
const fds: number[] = [];
const others: string[][] = [];
const record = async () => {
  rss.push(await settledRss());
  const now = descriptors();
  fds.push(now.sockets);
  others.push(now.others);
};
await round(Math.min(perWorker, 50)); // warm-up: isolates, the JIT, allocator arenas
await record();
for (let r = 0; r < rounds; r++) {
  await round(perWorker);
  await record();
}
await Promise.all(workers.map((worker) => worker.terminate()));
console.log(JSON.stringify({ rss, fds, others, cycles: perWorker * 20 * rounds }));
