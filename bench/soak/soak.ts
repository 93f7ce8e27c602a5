// Soak test (not part of `npm test`): minutes of UDP-Lite traffic at a high rate, received by a
// UdpLiteSocket and captured at the same time by a PacketSocket (TPACKET_V3 ring) on `lo`.
//
//   bench/soak/run.sh [--minutes 10] [--flows 2] [--rate 50000] [--size 200]
//
// Senders are bench/harness's blast (one process per flow, its own source port; each payload
// starts with a 64-bit little-endian sequence number). Checked and printed:
//   - RSS every 10 s; after the first minute (warm-up) it must stay flat: the later half's peak
//     at most 32 MiB above the first half's peak.
//   - kernel drops: PacketSocket stats().dropped (ring full), UDP-Lite RcvbufErrors/InErrors from
//     /proc/net/snmp (this namespace): reported, not failures (the kernel may drop under load).
//   - per flow, in what rawsock delivers: sequence numbers strictly increase. A gap is a kernel
//     drop; a repeat or a step back would be rawsock duplicating or reordering: a failure.
// Exit status 0 when both checks pass.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PacketSocket } from '../../lib/packet/index.js';
import { UdpLiteSocket } from '../../lib/udplite/index.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    flows: { type: 'string', default: '2' },
    rate: { type: 'string', default: '50000' },
    size: { type: 'string', default: '200' },
  },
});
const minutes = Number(values.minutes);
const flows = Number(values.flows);
const rate = Number(values.rate);
const size = Number(values.size);
const here = path.dirname(new URL(import.meta.url).pathname);
const blast = path.resolve(here, '../build/blast');

/** Sequence checking per flow (source port). */
class Flows {
  readonly last = new Map<number, bigint>();
  received = 0;
  gaps = 0n;
  backwards = 0;
  repeats = 0;
  see(flow: number, seq: bigint): void {
    this.received++;
    const last = this.last.get(flow);
    if (last !== undefined) {
      if (seq === last) this.repeats++;
      else if (seq < last) this.backwards++;
      else this.gaps += seq - last - 1n;
    }
    if (last === undefined || seq > last) this.last.set(flow, seq);
  }
  summary() {
    return {
      flows: this.last.size,
      received: this.received,
      gaps: Number(this.gaps),
      repeats: this.repeats,
      backwards: this.backwards,
    };
  }
}

function udpLiteMib(): Record<string, number> {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('UdpLite:'));
  const [names, numbers] = lines.map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries((names ?? []).map((n, i) => [n, Number(numbers?.[i])]));
}

const receiver = UdpLiteSocket.create({ family: 4, receiveBufferSize: 8 << 20 });
receiver.bind(0, '127.0.0.1');
const port = receiver.address().port;
// udplite and dst port `port` on lo (Ethernet 14 + IPv4 without options 20): ldb [23]; ldh [36].
const capture = PacketSocket.create({
  interface: 'lo',
  ignoreOutgoing: true,
  snapLength: 64,
  filter: [
    { code: 0x30, jt: 0, jf: 0, k: 23 },
    { code: 0x15, jt: 0, jf: 3, k: 136 },
    { code: 0x28, jt: 0, jf: 0, k: 36 },
    { code: 0x15, jt: 0, jf: 1, k: port },
    { code: 0x06, jt: 0, jf: 0, k: 0xffff },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ],
});

const udplite = new Flows();
const captured = new Flows();
receiver.on('message', (m) => {
  if (m.data.length >= 8) udplite.see(m.port, m.data.readBigUInt64LE(0));
});
capture.on('batch', (batch) => {
  for (let i = 0; i < batch.length; i++) {
    const frame = batch.data(i);
    if (frame.length < 14 + 20 + 8 + 8) continue;
    captured.see(frame.readUInt16BE(34), frame.readBigUInt64LE(42));
  }
});

const before = udpLiteMib();
const seconds = Math.round(minutes * 60);
const senders = Array.from({ length: flows }, () =>
  spawn(
    blast,
    [
      '-m',
      'udplite',
      '-p',
      String(port),
      '-s',
      String(size),
      '-r',
      String(rate),
      '-n',
      String(rate * (seconds + 5)),
      '-t',
      String(seconds),
      '-b',
      '32',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ),
);
const sent: string[] = [];
for (const s of senders) s.stdout.on('data', (d) => sent.push(String(d).trim()));

const rss: { t: number; mib: number }[] = [];
const started = Date.now();
const sample = () => {
  const t = Math.round((Date.now() - started) / 1000);
  const mib = Math.round(process.memoryUsage().rss / 1048576);
  rss.push({ t, mib });
  const stats = capture.stats();
  console.log(
    `t=${t}s rss=${mib}MiB udplite=${udplite.received} capture=${captured.received} ring-dropped=${stats.dropped}`,
  );
};
const timer = setInterval(sample, 10_000);
await Promise.all(senders.map((s) => new Promise((resolve) => s.on('exit', resolve))));
await new Promise((resolve) => setTimeout(resolve, 500)); // the last ring block retires
clearInterval(timer);
sample();

const after = udpLiteMib();
const stats = capture.stats();
receiver.close();
capture.close();

const warm = rss.filter((s) => s.t >= Math.min(60, seconds / 4));
const half = Math.floor(warm.length / 2);
const firstPeak = Math.max(...warm.slice(0, half).map((s) => s.mib));
const laterPeak = Math.max(...warm.slice(half).map((s) => s.mib));
const rssFlat = warm.length < 2 || laterPeak - firstPeak <= 32;
const ordered = [udplite, captured].every((f) => f.repeats === 0 && f.backwards === 0);
const result = {
  minutes,
  flows,
  ratePerFlow: rate,
  senders: sent,
  udplite: {
    ...udplite.summary(),
    kernelRcvbufErrors: (after.RcvbufErrors ?? 0) - (before.RcvbufErrors ?? 0),
    kernelInErrors: (after.InErrors ?? 0) - (before.InErrors ?? 0),
  },
  capture: { ...captured.summary(), kernel: stats },
  rssMiB: { samples: rss.map((s) => s.mib), firstHalfPeak: firstPeak, laterHalfPeak: laterPeak, flat: rssFlat },
  ordered,
  pass: rssFlat && ordered && udplite.received > 0 && captured.received > 0,
};
console.log(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2));
process.exit(result.pass ? 0 : 1);
