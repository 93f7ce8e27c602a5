// PACKET_FANOUT: sockets in worker threads and the main thread share the traffic of one flow of
// datagrams; every packet reaches exactly one member (no duplicates, nothing lost).
import dgram from 'node:dgram';
import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { compile } from '../lib/bpf/compile.js';
import { type FanoutMode, PacketSocket, type PacketSocketOptions } from '../lib/packet/index.js';
import { waitUntil } from './helpers/wait.js';
import { messageThenExit } from './helpers/worker-exit.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startWorker(options: PacketSocketOptions): Promise<Worker> {
  const worker = new Worker(path.join(here, 'helpers/tsx-worker.mjs'), {
    workerData: { module: path.join(here, 'helpers/packet-member.ts'), options },
  });
  const [message] = await once(worker, 'message');
  expect(message).toMatchObject({ ready: true });
  return worker;
}

async function countOf(worker: Worker): Promise<number> {
  worker.postMessage('count');
  const [reply] = await once(worker, 'message');
  return reply.count;
}

interface MemberReport {
  payloads: string[];
  stats: { dropped: number; ringFull: number };
}

async function stopWorker(worker: Worker): Promise<MemberReport> {
  const exit = messageThenExit(worker);
  worker.postMessage('stop');
  const { message: report } = await exit;
  return report as MemberReport;
}

describe('fanout', () => {
  it.each<[FanoutMode, number]>([
    ['load-balance', 1],
    ['hash', 8],
  ])('%s: every packet reaches exactly one member (%i flows)', async (mode, flows) => {
    const receiver = dgram.createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    const port = receiver.address().port;
    const group = (process.pid + flows) % 0xffff;
    const options: PacketSocketOptions = {
      interface: 'lo',
      filter: compile(`udp dst port ${port}`),
      ignoreOutgoing: true,
      // Blocks retire every 2 ms with a few packets each: many small blocks, so that a member
      // whose thread stalls for a while (a slow CI machine, the sanitizer build) still has room.
      ring: { blockSize: 16384, blockCount: 512, retireTimeoutMs: 2 },
      fanout: { group, mode },
    };
    const workers = [await startWorker(options), await startWorker(options)];
    const local = PacketSocket.create(options);
    expect(local.fanoutGroup).toBe(group);
    const localPayloads: string[] = [];
    local.on('packet', (p) => localPayloads.push(p.decode().payload.toString()));

    // A modest rate: 3000 datagrams in bursts of 100, from `flows` source ports.
    const senders = await Promise.all(
      Array.from({ length: flows }, async () => {
        const s = dgram.createSocket('udp4');
        s.bind(0, '127.0.0.1');
        await once(s, 'listening');
        return s;
      }),
    );
    const total = 3000;
    for (let n = 0; n < total; n++) {
      const sender = senders[n % flows] as dgram.Socket;
      await new Promise<void>((resolve, reject) =>
        sender.send(`seq ${n}`, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
      if (n % 100 === 99) await sleep(2);
    }
    // Wait for delivery (each member's event loop may lag on a loaded machine), then stop.
    await waitUntil(async () => {
      const counts = await Promise.all(workers.map(countOf));
      return counts.reduce((a, b) => a + b, localPayloads.length) >= total;
    });
    const reports = await Promise.all(workers.map(stopWorker));
    const perMember = [...reports.map((r) => r.payloads), localPayloads];
    const stats = local.stats();
    local.close();
    for (const s of senders) s.close();
    receiver.close();

    const all = perMember.flat();
    expect(new Set(all).size).toBe(all.length); // no duplicates
    // No loss; if some, say which member's ring dropped it.
    const drops = [...reports.map((r) => r.stats), stats].map(
      (st) => `${st.dropped} dropped, ${st.ringFull} ring full`,
    );
    expect(all.length, drops.join('; ')).toBe(total);
    expect(stats.dropped).toBe(0);
    // Load balancing spreads one flow over every member; hashing keeps each flow on one member,
    // and with 8 flows over 3 members at least two members get traffic.
    const busy = perMember.filter((p) => p.length > 0).length;
    if (mode === 'load-balance') {
      expect(busy).toBe(3);
      for (const payloads of perMember) expect(payloads.length).toBeGreaterThan(total / 3 - 50);
    } else {
      expect(busy).toBeGreaterThanOrEqual(2);
      // Each flow (source port) was handled by exactly one member.
      for (let flow = 0; flow < flows; flow++) {
        const owners = perMember.filter((m) => m.some((p) => Number(p.slice(4)) % flows === flow));
        expect(owners).toHaveLength(1);
      }
    }
  });

  it.each<[string, PacketSocketOptions]>([
    ['another mode', { interface: 'lo', fanout: { group: 0, mode: 'cpu' } }],
    ['another protocol', { interface: 'lo', protocol: 'ipv6', fanout: { group: 0 } }],
    ['another device', { fanout: { group: 0 } }],
  ])('members must match the group: %s is refused with EINVAL', (_what, options) => {
    const group = (process.pid + 99) % 0xffff;
    const first = PacketSocket.create({ interface: 'lo', fanout: { group, mode: 'hash' } });
    const join = () => PacketSocket.create({ ...options, fanout: { ...options.fanout, group } });
    expect(join).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'setsockopt' }));
    first.close();
  });
});
