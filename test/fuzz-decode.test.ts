// Property tests (fast-check) of the decoders and the pcap reader with random and mutated input:
// decoders never throw (a bad header is `{ ok: false }`), never report bytes outside their input,
// and readPcap fails only with PcapFormatError.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildEthernetFrame,
  buildIPv4Packet,
  buildIPv6Packet,
  buildUdpDatagram,
  buildUdpLiteDatagram,
  decodeEthernet,
  decodeIcmp,
  decodeIcmpv6,
  decodeIPv4,
  decodeIPv6,
  decodeLinuxSll,
  decodeLinuxSll2,
  decodePacket,
  decodeTcp,
  decodeUdp,
  decodeUdpLite,
  decodeVlanTags,
  type PacketLinkType,
  parseIPv4,
  parseIPv6,
  parseMac,
} from '../lib/decode/index.js';
import { PcapFormatError, PcapWriter, readPcap } from '../lib/pcap/index.js';
import { mutated, onlyDocumentedErrors } from './helpers/fuzz.js';

const runs = { numRuns: 2000 };

// Real frames to mutate: Ethernet/IPv4/UDP, Ethernet/VLAN/IPv6/UDP-Lite, IPv4 with options.
const v4 = { source: parseIPv4('10.0.0.1'), destination: parseIPv4('10.0.0.2') };
const v6 = { source: parseIPv6('fe80::1'), destination: parseIPv6('fe80::2') };
const mac = { source: parseMac('02:00:00:00:00:01'), destination: parseMac('02:00:00:00:00:02') };
const udp4 = buildUdpDatagram({ ...v4, sourcePort: 1000, destinationPort: 2000, payload: Buffer.from('hello') });
const frames = [
  buildEthernetFrame({ ...mac, etherType: 0x0800, payload: buildIPv4Packet({ ...v4, protocol: 17, payload: udp4 }) }),
  buildEthernetFrame({
    ...mac,
    etherType: 0x86dd,
    vlans: [{ id: 5 }],
    payload: buildIPv6Packet({
      ...v6,
      nextHeader: 136,
      payload: buildUdpLiteDatagram({
        ...v6,
        sourcePort: 1,
        destinationPort: 2,
        coverage: 8,
        payload: Buffer.from('abc'),
      }),
    }),
  }),
  buildEthernetFrame({
    ...mac,
    etherType: 0x0800,
    payload: buildIPv4Packet({ ...v4, protocol: 6, options: Buffer.from([1, 1, 1, 0]), payload: Buffer.alloc(20) }),
  }),
].map((b) => new Uint8Array(b));

const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated(frames));
const linkTypes: PacketLinkType[] = ['ethernet', 'cooked', 'linux-sll', 'linux-sll2'];

/** Every Uint8Array reachable in a decode result lies inside `input`'s memory. */
function viewsInside(value: unknown, input: Uint8Array, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value !== 'object' || seen.has(value)) return true;
  seen.add(value);
  if (value instanceof Uint8Array) {
    if (value.buffer !== input.buffer) return true; // a copy (addresses are copied)
    return value.byteOffset >= input.byteOffset && value.byteOffset + value.length <= input.byteOffset + input.length;
  }
  return Object.values(value).every((v) => viewsInside(v, input, seen));
}

describe('decoders never throw and never reach outside their input', () => {
  it.each(linkTypes)('decodePacket(%s)', (linkType) => {
    fc.assert(
      fc.property(bytes, (data) => {
        const result = decodePacket(data, { linkType });
        expect(viewsInside(result, data)).toBe(true);
      }),
      runs,
    );
  });

  const layers: [string, (d: Uint8Array) => unknown][] = [
    ['decodeEthernet', decodeEthernet],
    ['decodeVlanTags', (d) => decodeVlanTags(d, 12)],
    ['decodeLinuxSll', decodeLinuxSll],
    ['decodeLinuxSll2', decodeLinuxSll2],
    ['decodeIPv4', decodeIPv4],
    ['decodeIPv6', decodeIPv6],
    ['decodeUdp', (d) => decodeUdp(d)],
    ['decodeUdpLite', (d) => decodeUdpLite(d)],
    ['decodeTcp', (d) => decodeTcp(d)],
    ['decodeIcmp', decodeIcmp],
    ['decodeIcmpv6', decodeIcmpv6],
  ];
  it.each(layers)('%s', (_name, decode) => {
    fc.assert(
      fc.property(
        fc.oneof(
          bytes,
          bytes.map((b) => b.subarray(14)),
        ),
        (data) => {
          expect(viewsInside(decode(data), data)).toBe(true);
        },
      ),
      runs,
    );
  });

  it('decodes at any offset of a larger buffer (views, not copies)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), bytes, (prefix, data) => {
        const whole = new Uint8Array(prefix.length + data.length);
        whole.set(prefix);
        whole.set(data, prefix.length);
        const view = whole.subarray(prefix.length);
        expect(viewsInside(decodePacket(view, { linkType: 'ethernet' }), view)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('readPcap', () => {
  const files: Uint8Array[] = [];
  const filled: Promise<void>[] = [];
  for (const [nanoseconds, byteOrder] of [
    [false, 'little'],
    [true, 'big'],
  ] as const) {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    });
    const writer = new PcapWriter(stream, { linkType: 'ethernet', snaplen: 65535, nanoseconds, byteOrder });
    for (const frame of frames) writer.write({ data: frame, timestampNs: 1_000_000_005n });
    // The stream's buffered writes finish on the next ticks.
    filled.push(
      new Promise<void>((resolve) =>
        setImmediate(() => resolve(void files.push(new Uint8Array(Buffer.concat(chunks))))),
      ),
    );
  }
  beforeAll(() => Promise.all(filled));

  it('the seed files are real pcap files', () => {
    for (const file of files) {
      const read = readPcap(file);
      expect(read.problem).toBeUndefined();
      expect(read.packets.length).toBe(frames.length);
    }
  });

  it('fails only with PcapFormatError on random and mutated files', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated(files)), (data) => {
        onlyDocumentedErrors(() => {
          // What was read lies inside the file; a damaged record stops reading with a `problem`.
          const file = readPcap(data);
          for (const record of file.packets) expect(viewsInside(record, data)).toBe(true);
        }, [PcapFormatError]);
      }),
      runs,
    );
  });
});
