// pcap files: PcapWriter output read by tcpdump and tshark, readPcap on files dumpcap wrote, and
// the writer's backpressure.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEthernetFrame,
  buildIPv4Packet,
  buildIPv6Packet,
  buildUdpDatagram,
  decodePacket,
} from '../lib/decode/index.js';
import {
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PcapFormatError,
  type PcapPacket,
  PcapWriter,
  readPcap,
} from '../lib/pcap/index.js';
import { run as runWithStdin } from './helpers/netns.js';

// The helpers' run() writes an empty stdin; a child that exits first turns that into an unhandled
// EPIPE. These commands read no stdin, so give them none.
function run(command: string, args: string[]) {
  return runWithStdin(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeoutMs: 15_000 });
}

/** Runs a command in a further, fresh network namespace with lo up (as helpers/netns.ts does). */
function runInFreshNetns(command: string, args: string[]) {
  return run('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'fresh-netns', command, ...args]);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rawsock-pcap-'));
  chmodSync(dir, 0o755); // tcpdump reads as "nobody" (see tcpdump())
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function tshark(file: string, fields: string[]): Promise<string[][]> {
  const args = ['-r', file, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'occurrence=f'];
  for (const field of fields) args.push('-e', field);
  const result = await run('tshark', args);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

async function tcpdump(file: string): Promise<string[]> {
  // As root (of the test namespace) tcpdump switches to the "tcpdump" user, which this namespace
  // cannot map; a nested user namespace makes us "nobody", so it has nothing to drop.
  const result = await run('unshare', [
    '--user',
    '--',
    'tcpdump',
    '-r',
    file,
    '-nn',
    '-tt',
    '-e',
    '--time-stamp-precision=nano',
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** A UDP datagram in IPv4 or IPv6 from `source` port 4000 to `destination` port 4001. */
function ipUdp(source: string, destination: string, payload: Buffer): Buffer {
  const udp = buildUdpDatagram({ source, destination, sourcePort: 4000, destinationPort: 4001, payload });
  return source.includes(':')
    ? buildIPv6Packet({ source, destination, nextHeader: 17, payload: udp })
    : buildIPv4Packet({ source, destination, protocol: 17, payload: udp });
}

/**
 * Timestamps with every nanosecond digit set, so µs truncation and ns precision both show. The last
 * is the largest libpcap 1.10 (tcpdump) prints: it reads the seconds as signed 32-bit.
 */
const TIMES = [1_700_000_000_123_456_789n, 1_700_000_001_000_000_001n, 2_147_483_647_999_999_999n];

const PACKETS = [
  { source: '10.0.0.1', destination: '10.0.0.2', payload: Buffer.from('first') },
  { source: '2001:db8::1', destination: '2001:db8::2', payload: Buffer.from('second, over IPv6') },
  // Longer than the 120-byte snap length used below: stored cut, with its original length.
  { source: '192.0.2.1', destination: '198.51.100.1', payload: Buffer.alloc(300, 0x61) },
];

const SNAPLEN = 120;

/** Expected text of a timestamp as tshark/tcpdump print it (µs files are truncated to µs). */
function epoch(ns: bigint, nanoseconds: boolean): string {
  const stored = nanoseconds ? ns : (ns / 1000n) * 1000n;
  return `${stored / 1_000_000_000n}.${(stored % 1_000_000_000n).toString().padStart(9, '0')}`;
}

describe('files PcapWriter writes are read the same by tshark, tcpdump and readPcap', () => {
  const table = (['ethernet', 'linux-sll', 'linux-sll2'] as const).flatMap((linkType) =>
    [true, false].flatMap((nanoseconds) =>
      (['little', 'big'] as const).map((byteOrder) => ({ linkType, nanoseconds, byteOrder })),
    ),
  );

  it.each(table)(
    '$linkType, nanoseconds $nanoseconds, $byteOrder endian',
    async ({ linkType, nanoseconds, byteOrder }) => {
      const file = join(dir, `${linkType}-${nanoseconds}-${byteOrder}.pcap`);
      const writer = await PcapWriter.open(file, { linkType, nanoseconds, byteOrder, snaplen: SNAPLEN });
      const written: PcapPacket[] = PACKETS.map((p, i) => {
        const ip = ipUdp(p.source, p.destination, p.payload);
        const timestampNs = TIMES[i] as bigint;
        if (linkType === 'ethernet') {
          const data = buildEthernetFrame({
            destination: '02:00:00:00:00:02',
            source: '02:00:00:00:00:01',
            etherType: p.source.includes(':') ? 0x86dd : 0x0800,
            payload: ip,
          });
          return { data, timestampNs };
        }
        // Cooked: network-layer data plus the packet socket's address metadata.
        return {
          data: ip,
          timestampNs,
          packetType: i,
          hardwareType: 1,
          address: `02:00:00:00:00:0${i + 1}`,
          interfaceIndex: 7 + i,
        };
      });
      for (const packet of written) writer.write(packet);
      await writer.close();
      expect(writer.packetsWritten).toBe(3);

      const header = readFileSync(file);
      const magic = byteOrder === 'little' ? header.readUInt32LE(0) : header.readUInt32BE(0);
      expect(magic).toBe(nanoseconds ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS);
      expect(header.length).toBe(writer.bytesWritten);

      const pseudo = linkType === 'linux-sll' ? 16 : linkType === 'linux-sll2' ? 20 : 0;
      const originalLengths = written.map((p) => p.data.length + pseudo);
      const capturedLengths = originalLengths.map((n) => Math.min(n, SNAPLEN));

      // tshark.
      const rows = await tshark(file, [
        'frame.time_epoch',
        'frame.len',
        'frame.cap_len',
        'ip.src',
        'ipv6.src',
        'udp.srcport',
        'udp.checksum.status',
        'eth.src',
        'sll.pkttype',
        'sll.hatype',
        'sll.halen',
        'sll.src.eth',
        'sll.etype',
        'sll.ifindex',
      ]);
      expect(rows.map((r) => r.slice(0, 6))).toEqual(
        PACKETS.map((p, i) => [
          epoch(TIMES[i] as bigint, nanoseconds),
          String(originalLengths[i]),
          String(capturedLengths[i]),
          p.source.includes(':') ? '' : p.source,
          p.source.includes(':') ? p.source : '',
          '4000',
        ]),
      );
      // The cut packet cannot have its checksum verified; the whole ones verify.
      expect(rows.map((r) => r[6])).toEqual(['1', '1', '2']);
      for (const [i, row] of rows.entries()) {
        const etype = PACKETS[i]?.source.includes(':') ? '0x86dd' : '0x0800';
        if (linkType === 'ethernet') expect(row.slice(7)).toEqual(['02:00:00:00:00:01', '', '', '', '', '', '']);
        else {
          expect(row.slice(7)).toEqual([
            '',
            String(i),
            '1',
            '6',
            `02:00:00:00:00:0${i + 1}`,
            etype,
            linkType === 'linux-sll2' ? String(7 + i) : '',
          ]);
        }
      }

      // tcpdump: timestamps, direction, addresses and lengths.
      const lines = await tcpdump(file);
      expect(lines.length).toBe(3);
      for (const [i, line] of lines.entries()) {
        const p = PACKETS[i] as (typeof PACKETS)[number];
        expect(line.split(' ')[0]).toBe(epoch(TIMES[i] as bigint, nanoseconds));
        expect(line).toContain(`length ${originalLengths[i]}:`);
        expect(line).toContain(`${p.source}.4000 > ${p.destination}.4001: UDP`);
        if (linkType !== 'ethernet') expect(line).toContain(['In', 'B', 'M'][i] ?? '');
      }

      // readPcap.
      const pcap = readPcap(header);
      expect(pcap).toMatchObject({ nanoseconds, byteOrder, snaplen: SNAPLEN, versionMajor: 2, versionMinor: 4 });
      expect(pcap.linkType).toBe({ ethernet: 1, 'linux-sll': 113, 'linux-sll2': 276 }[linkType]);
      expect(pcap.problem).toBeUndefined();
      expect(pcap.packets.map((r) => [r.timestampNs, r.capturedLength, r.originalLength])).toEqual(
        PACKETS.map((_, i) => [
          BigInt(`${epoch(TIMES[i] as bigint, nanoseconds).replace('.', '')}`),
          capturedLengths[i],
          originalLengths[i],
        ]),
      );
      const decoded = pcap.packets.map((r) => decodePacket(r.data, { linkType }));
      expect(decoded.map((d) => d.network?.source)).toEqual(PACKETS.map((p) => p.source));
      expect(decoded.map((d) => d.transport?.layer === 'udp' && d.transport.truncated)).toEqual([false, false, true]);
    },
  );
});

describe('readPcap reads what dumpcap captures', () => {
  it('matches tshark on a real capture cut by a snap length', async () => {
    const file = join(dir, 'real.pcap');
    const script = `
      dumpcap -q -P -s 64 -i lo -w "$1" 2>"$1.err" & P=$!
      n=0; until grep -q Capturing "$1.err"; do n=$((n+1)); [ $n -lt 200 ] || exit 1; sleep 0.05; done
      python3 -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for n in (1, 100, 1000): s.sendto(b'x' * n, ('::1', 9))
"
      # Stop once all three records are in the file (24-byte header, then 16 + 63, 64 and 64
      # bytes): a fixed sleep lost the race on a loaded machine, dumpcap not yet having read the
      # ring. Bounded, and SIGINT makes dumpcap write what it still holds anyway.
      n=0; until [ "$(stat -c %s "$1")" -ge 263 ] || [ $n -ge 100 ]; do n=$((n+1)); sleep 0.1; done
      kill -INT $P; wait $P`;
    const result = await runInFreshNetns('sh', ['-c', script, 'capture', file]);
    expect(result.code, result.stderr).toBe(0);
    const pcap = readPcap(readFileSync(file));
    const rows = await tshark(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(pcap.snaplen).toBe(64);
    expect(
      pcap.packets.map((r) => [epoch(r.timestampNs, true), String(r.originalLength), String(r.capturedLength)]),
    ).toEqual(rows.map((row) => [row[0]?.padEnd(20, '0'), row[1], row[2]]));
    expect(pcap.packets.some((r) => r.originalLength > r.capturedLength)).toBe(true);
  });
});

describe('readPcap on damaged input', () => {
  const valid = (() => {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const writer = new PcapWriter(sink, { nanoseconds: false });
    writer.write({ data: Buffer.alloc(20, 1), timestampNs: 5_000_001_000n });
    writer.write({ data: Buffer.alloc(10, 2), timestampNs: 6_000_000_000n });
    return Buffer.concat(chunks);
  })();

  it('reads a whole file', () => {
    const pcap = readPcap(valid);
    expect(pcap.packets.map((r) => [r.timestampNs, r.data.length])).toEqual([
      [5_000_001_000n, 20],
      [6_000_000_000n, 10],
    ]);
  });

  it.each([
    ['cut inside the second record', valid.length - 1, 'truncated', 24 + 16 + 20],
    ['cut inside the second record header', 24 + 16 + 20 + 3, 'truncated', 24 + 16 + 20],
  ])('%s: keeps the first record and says where it stopped', (_name, length, reason, offset) => {
    const pcap = readPcap(valid.subarray(0, length));
    expect(pcap.packets.length).toBe(1);
    expect(pcap.problem).toMatchObject({ reason, offset });
  });

  it('an impossible captured length is malformed', () => {
    const damaged = Buffer.from(valid);
    damaged.writeUInt32LE(0x7fffffff, 24 + 8);
    expect(readPcap(damaged)).toMatchObject({ packets: [], problem: { reason: 'malformed', offset: 24 } });
  });

  it.each([
    ['too short', Buffer.alloc(23)],
    ['pcapng', Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff', 'hex')],
    ['random', Buffer.alloc(24, 7)],
  ])('%s: throws PcapFormatError', (_name, data) => {
    expect(() => readPcap(data)).toThrow(PcapFormatError);
  });
});

describe('PcapWriter', () => {
  it('reports backpressure and resumes after drain, keeping every record in order', async () => {
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 256,
      write(chunk, _encoding, callback) {
        chunks.push(chunk);
        setImmediate(callback);
      },
    });
    const writer = new PcapWriter(slow);
    let refused = 0;
    // One receive buffer reused for every packet, as a capture loop does: the writer must copy.
    const buffer = Buffer.alloc(100);
    for (let i = 0; i < 50; i++) {
      buffer.fill(i);
      if (!writer.write({ data: buffer, timestampNs: BigInt(i) })) {
        refused++;
        await writer.drain();
        expect(slow.writableNeedDrain).toBe(false);
      }
    }
    await writer.close();
    expect(refused).toBeGreaterThan(0);
    const pcap = readPcap(Buffer.concat(chunks));
    expect(pcap.packets.map((r) => [r.timestampNs, r.data[0], r.data[99]])).toEqual(
      Array.from({ length: 50 }, (_, i) => [BigInt(i), i, i]),
    );
  });

  it('drain() resolves at once when there is no backpressure', async () => {
    const writer = new PcapWriter(new Writable({ write: (_c, _e, cb) => cb() }));
    expect(writer.write({ data: Buffer.alloc(1), timestampNs: 0n })).toBe(true);
    await writer.drain();
    await writer.close();
  });

  it('rejects writes after close, and timestamps pcap cannot store', async () => {
    const writer = new PcapWriter(new Writable({ write: (_c, _e, cb) => cb() }));
    expect(() => writer.write({ data: Buffer.alloc(1), timestampNs: -1n })).toThrow(RangeError);
    expect(() => writer.write({ data: Buffer.alloc(1), timestampNs: 1n << 62n })).toThrow(RangeError);
    await writer.close();
    expect(() => writer.write({ data: Buffer.alloc(1), timestampNs: 0n })).toThrow(/closed/);
  });

  it('open() rejects when the file cannot be created, and close() rejects when the stream fails', async () => {
    await expect(PcapWriter.open(join(dir, 'missing', 'x.pcap'))).rejects.toMatchObject({ code: 'ENOENT' });
    const failing = new Writable({ write: (_c, _e, cb) => cb(new Error('disk full')) });
    const writer = new PcapWriter(failing);
    await expect(writer.close()).rejects.toThrow('disk full');
  });

  it('fills the cooked header protocol from the IP version when not given', () => {
    const chunks: Buffer[] = [];
    const writer = new PcapWriter(
      new Writable({
        write(chunk, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
      { linkType: 'linux-sll' },
    );
    writer.write({ data: ipUdp('::1', '::1', Buffer.from('x')), timestampNs: 0n });
    writer.write({ data: ipUdp('127.0.0.1', '127.0.0.1', Buffer.from('x')), timestampNs: 0n });
    const pcap = readPcap(Buffer.concat(chunks));
    expect(pcap.packets.map((r) => r.data.readUInt16BE(14))).toEqual([0x86dd, 0x0800]);
  });
});
