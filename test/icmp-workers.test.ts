// Every ICMP and raw IP socket kind in worker threads: busy workers ended mid-use, by
// worker.terminate() or by process.exit() inside them, leave no socket behind and do not crash
// the process; several at once, repeatedly.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { socketInodes } from './helpers/socket-inodes.js';

const here = path.dirname(new URL(import.meta.url).pathname);
// Ping sockets (see test/icmp-ping.test.ts for why "0 0").
beforeAll(() => writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 0'));

async function busyWorker(): Promise<Worker> {
  const worker = new Worker(path.join(here, 'helpers/tsx-worker.mjs'), {
    workerData: { module: path.join(here, 'helpers/icmp-worker.ts') },
  });
  const [message] = await once(worker, 'message');
  expect(message).toEqual({ busy: ['ping-dgram', 'ping-raw', 'ping-socket-6', 'raw-ip', 'traceroute'] });
  return worker;
}

describe('ICMP and raw IP sockets in worker threads', () => {
  it.each(['worker.terminate()', 'process.exit() in the worker'])(
    'four busy workers ended by %s, three rounds: no socket left, no crash',
    async (how) => {
      const before = socketInodes();
      for (let round = 0; round < 3; round++) {
        const workers = await Promise.all(Array.from({ length: 4 }, busyWorker));
        expect(socketInodes().size).toBeGreaterThan(before.size);
        await Promise.all(
          workers.map(async (worker) => {
            if (how === 'worker.terminate()') {
              await worker.terminate();
            } else {
              const exited = once(worker, 'exit');
              worker.postMessage('exit');
              expect((await exited)[0]).toBe(0);
            }
          }),
        );
        const left = [...socketInodes()].filter((inode) => !before.has(inode));
        expect(left).toEqual([]);
      }
    },
    120_000,
  );
});
