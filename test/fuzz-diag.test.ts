// Property tests (fast-check) of the socket-introspection parsers (lib/diag) with random input and
// with real kernel answers mutated: netlink replies that a Python process dumps from
// NETLINK_SOCK_DIAG in the test's network namespace (byte for byte as the kernel sent them), and
// /proc/net/packet, /proc/PID/fd links and /proc/PID/comm as it reads them. Every parser either
// returns a well-formed result whose lengths and offsets lie inside its input or throws
// DiagParseError (parseSocketLink / parseComm never throw), and each call is bounded by its input.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseInetDiagMessage } from '../lib/diag/inet-diag.js';
import {
  align4,
  DiagParseError,
  LITTLE_ENDIAN,
  NLA_HDRLEN,
  NLA_TYPE_MASK,
  NLMSG_HDRLEN,
  parseAttributes,
  parseMessages,
  viewOf,
} from '../lib/diag/netlink.js';
import { parseComm, parseSocketLink } from '../lib/diag/owners.js';
import { parsePacketDiagMessage } from '../lib/diag/packet-diag.js';
import { parseProcNetPacket } from '../lib/diag/proc-net-packet.js';
import { mutated } from './helpers/fuzz.js';

const runs = { numRuns: 1000 };
const SOCK_DIAG_BY_FAMILY = 20;
const PACKET_MESSAGE_SIZE = 16;
const INET_MESSAGE_SIZE = 72;

/**
 * Opens packet sockets carrying every attribute packet_diag reports (a classic filter, two
 * memberships, a TPACKET_V3 ring, a fanout group) and TCP/UDP sockets on IPv4 and IPv6, then
 * dumps packet_diag and inet_diag over its own NETLINK_SOCK_DIAG socket and prints every
 * datagram as received, plus /proc/net/packet, its own descriptor links and comm.
 */
const DUMPER = `
import ctypes, json, os, socket, struct
ETH_P_ALL, SOL_PACKET = 0x0003, 263
held = []
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
raw.bind(('lo', ETH_P_ALL))
code = b''.join(struct.pack('HBBI', *i) for i in ((0x28, 0, 0, 12), (0x15, 0, 1, 0x0800), (6, 0, 0, 0x40000), (6, 0, 0, 0)))
program = ctypes.create_string_buffer(code)
raw.setsockopt(socket.SOL_SOCKET, 26, struct.pack('HxxxxxxQ', 4, ctypes.addressof(program)))  # SO_ATTACH_FILTER
lo = socket.if_nametoindex('lo')
raw.setsockopt(SOL_PACKET, 1, struct.pack('iHH8s', lo, 0, 6, bytes.fromhex('01005e000001')))  # multicast membership
raw.setsockopt(SOL_PACKET, 1, struct.pack('iHH8s', lo, 1, 0, b''))  # promisc membership
ring = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
ring.setsockopt(SOL_PACKET, 10, struct.pack('i', 2))  # PACKET_VERSION: TPACKET_V3
ring.setsockopt(SOL_PACKET, 5, struct.pack('7I', 4096, 2, 2048, 4, 10, 0, 0))  # PACKET_RX_RING
ring.bind(('lo', ETH_P_ALL))
ring.setsockopt(SOL_PACKET, 18, struct.pack('I', 0x4321 | (1 << 16)))  # PACKET_FANOUT lb
cooked = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x88cc))
cooked.bind(('lo', 0x88cc))
held += [raw, ring, cooked]
for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(4)
    client = socket.socket(family, socket.SOCK_STREAM)
    client.connect(server.getsockname()[:2])
    accepted, _ = server.accept()
    client.send(b'x' * 100)
    client.shutdown(socket.SHUT_WR)
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((host, 0))
    held += [server, client, accepted, udp]

def dump(body):
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)  # NETLINK_SOCK_DIAG
    nl.send(struct.pack('=IHHII', 16 + len(body), 20, 0x301, 1, 0) + body)  # REQUEST | DUMP
    datagrams, done = [], False
    while not done:
        data = nl.recv(1 << 17)
        datagrams.append(data.hex())
        at = 0
        while at + 16 <= len(data):
            length, kind = struct.unpack_from('=IH', data, at)
            done = done or kind in (2, 3)  # NLMSG_ERROR, NLMSG_DONE
            if length < 16:
                break
            at += (length + 3) & ~3
    nl.close()
    return datagrams

packet = dump(struct.pack('=BBHIIII', 17, 0, 0, 0, 0x3f, 0xffffffff, 0xffffffff))
inet = []
for family in (socket.AF_INET, socket.AF_INET6):
    for protocol in (6, 17):
        body = struct.pack('=BBBBI', family, protocol, 0xff, 0, 0xffffffff) + bytes(40) + b'\\xff' * 8
        inet.append({'protocol': protocol, 'datagrams': dump(body)})
links = [os.readlink('/proc/self/fd/' + fd) for fd in os.listdir('/proc/self/fd') if os.path.exists('/proc/self/fd/' + fd)]
print(json.dumps({'packet': packet, 'inet': inet, 'proc': open('/proc/net/packet').read(),
                  'links': links, 'comm': open('/proc/self/comm').read()}))
`;

interface Captured {
  packet: string[];
  inet: { protocol: number; datagrams: string[] }[];
  proc: string;
  links: string[];
  comm: string;
}

/** A valid input and where its length fields are (nlmsg_len: 4 bytes, nla_len: 2). */
interface Seed {
  bytes: Uint8Array;
  lengths: { at: number; size: 2 | 4 }[];
}

const own = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** Where the nla_len fields of `payload`'s attributes (after `fixed` bytes) are, relative to `base`. */
function attributeLengths(payload: Uint8Array, fixed: number, base: Uint8Array): Seed['lengths'] {
  return parseAttributes(payload.subarray(fixed)).map((a) => ({
    at: a.value.byteOffset - NLA_HDRLEN - base.byteOffset,
    size: 2 as const,
  }));
}

/** Datagram seeds (with every nlmsg_len and nla_len) and message payload seeds (with nla_len). */
function seedsOf(datagrams: Uint8Array[], fixed: number): { datagrams: Seed[]; payloads: Seed[] } {
  const out = { datagrams: [] as Seed[], payloads: [] as Seed[] };
  for (const bytes of datagrams) {
    const lengths: Seed['lengths'] = [];
    for (const message of parseMessages(bytes)) {
      lengths.push({ at: message.payload.byteOffset - NLMSG_HDRLEN, size: 4 });
      if (message.type !== SOCK_DIAG_BY_FAMILY) continue;
      lengths.push(...attributeLengths(message.payload, fixed, bytes));
      const payload = Uint8Array.from(message.payload);
      out.payloads.push({ bytes: payload, lengths: attributeLengths(payload, fixed, payload) });
    }
    out.datagrams.push({ bytes, lengths });
  }
  return out;
}

const lengthValue = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  fc.constantFrom(0, 1, 3, 4, 5, 15, 16, 17, 0xfffc, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff),
  fc.nat(),
);

/** A seed with one to three of its length fields set to other values. */
function lengthEdited(seeds: Seed[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), lengthValue), { minLength: 1, maxLength: 3 }))
    .map(([seed, edits]) => {
      const out = Uint8Array.from(seed.bytes);
      const view = viewOf(out);
      for (const [pick, value] of edits) {
        if (seed.lengths.length === 0) break;
        const field = seed.lengths[pick % seed.lengths.length];
        if (field.size === 2) view.setUint16(field.at, value & 0xffff, LITTLE_ENDIAN);
        else view.setUint32(field.at, value >>> 0, LITTLE_ENDIAN);
      }
      return out;
    });
}

/** Random bytes, real ones flipped / cut / extended, real ones with lengths changed, and both. */
function damaged(seeds: Seed[]): fc.Arbitrary<Uint8Array> {
  const edited = lengthEdited(seeds);
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    mutated(seeds.map((s) => s.bytes)),
    edited,
    fc.tuple(edited, fc.nat()).map(([bytes, cut]) => bytes.subarray(0, cut % (bytes.length + 1))),
  );
}

/** The same bytes at an arbitrary offset of a larger buffer. */
function atOffset(data: Uint8Array, prefix: number): Uint8Array {
  const whole = new Uint8Array(prefix + data.length + 7).fill(0xa5);
  whole.set(data, prefix);
  return whole.subarray(prefix, prefix + data.length);
}

/** Runs fn: its result, or the DiagParseError it threw; any other throw fails the property. */
function parsesOrDiagError<T>(fn: () => T): T | DiagParseError {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof DiagParseError)) throw error;
    expect(error.code).toBe('ERR_RAWSOCK_DIAG_PARSE');
    expect(error.name).toBe('DiagParseError');
    expect(error.message.length).toBeGreaterThan(0);
    return error;
  }
}

/**
 * Every number is finite and non-negative, every string-typed id canonical decimal, and every
 * Uint8Array in the value a view inside `input` (or a copy).
 */
function wellFormed(value: unknown, input?: Uint8Array, seen = new Set<unknown>()): void {
  if (typeof value === 'number') {
    expect(Number.isFinite(value) && value >= 0, `number ${value}`).toBe(true);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Uint8Array) {
    if (input === undefined || value.buffer !== input.buffer) return;
    expect(value.byteOffset).toBeGreaterThanOrEqual(input.byteOffset);
    expect(value.byteOffset + value.length).toBeLessThanOrEqual(input.byteOffset + input.length);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'inode' || key === 'cookie') expect(v).toMatch(/^(0|[1-9]\d*)$/);
    wellFormed(v, input, seen);
  }
}

let packetSeeds: { datagrams: Seed[]; payloads: Seed[] };
let inetSeeds: { protocol: number; datagrams: Seed[]; payloads: Seed[] }[];
let procText: string;
let links: string[];
let comm: string;

beforeAll(() => {
  const captured = JSON.parse(execFileSync('python3', ['-c', DUMPER], { encoding: 'utf8' })) as Captured;
  packetSeeds = seedsOf(captured.packet.map(own), PACKET_MESSAGE_SIZE);
  inetSeeds = captured.inet.map(({ protocol, datagrams }) => ({
    protocol,
    ...seedsOf(datagrams.map(own), INET_MESSAGE_SIZE),
  }));
  procText = captured.proc;
  links = captured.links;
  comm = captured.comm;
});

describe('the captured kernel answers are real and parse cleanly', () => {
  it('packet_diag: the filter, memberships, ring and fanout are there', () => {
    const records = packetSeeds.payloads.map((p) => parsePacketDiagMessage(p.bytes, 0x3f));
    expect(records.length).toBeGreaterThanOrEqual(3);
    const filtered = records.find((r) => r.filter?.attached);
    expect(filtered?.filter?.instructions).toHaveLength(4);
    // struct packet_diag_mclist is 44 bytes: both memberships, each read at its own offset.
    expect(filtered?.memberships).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'multicast', count: 1, address: '01:00:5e:00:00:01' }),
        expect.objectContaining({ type: 'promisc', count: 1, address: '' }),
      ]),
    );
    expect(filtered?.memberships).toHaveLength(2);
    const ringed = records.find((r) => r.rxRing !== undefined);
    expect(ringed).toMatchObject({ tpacketVersion: 3, rxRing: { blockSize: 4096, blockCount: 2 } });
    expect(ringed?.fanout).toEqual({ id: 0x4321, mode: 'lb' });
    for (const seed of packetSeeds.payloads) expect(seed.lengths.length).toBeGreaterThan(0);
  });

  it('inet_diag: TCP answers carry tcp_info and congestion, on IPv4 and IPv6', () => {
    const tcp = inetSeeds.filter((s) => s.protocol === 6);
    expect(tcp).toHaveLength(2);
    for (const { protocol, payloads } of inetSeeds) {
      expect(payloads.length).toBeGreaterThan(0);
      for (const p of payloads) wellFormed(parseInetDiagMessage(p.bytes, protocol));
    }
    const records = tcp.flatMap((s) => s.payloads.map((p) => parseInetDiagMessage(p.bytes, 6)));
    expect(new Set(records.map((r) => r.family))).toEqual(new Set([4, 6]));
    expect(records.some((r) => r.tcpInfo !== undefined && r.congestion !== undefined && r.shutdown === 2)).toBe(true);
  });

  it('/proc/net/packet lists the packet sockets', () => {
    expect(parseProcNetPacket(procText).length).toBeGreaterThanOrEqual(3);
    expect(links.some((l) => parseSocketLink(l) !== undefined)).toBe(true);
    expect(parseComm(comm)).toBe('python3');
  });
});

describe('netlink framing', () => {
  it('align4 rounds up to the next multiple of 4 (for any length a datagram can have)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 4 }), (n) => {
        const aligned = align4(n);
        expect(aligned % 4).toBe(0);
        expect(aligned - n).toBeGreaterThanOrEqual(0);
        expect(aligned - n).toBeLessThan(4);
        expect(align4(aligned)).toBe(aligned);
      }),
      runs,
    );
  });

  it('parseMessages: DiagParseError or messages laid end to end inside the datagram', () => {
    fc.assert(
      fc.property(damaged(packetSeeds.datagrams.concat(inetSeeds.flatMap((s) => s.datagrams))), fc.nat(9), (raw, p) => {
        const bytes = atOffset(raw, p);
        const messages = parsesOrDiagError(() => parseMessages(bytes));
        if (messages instanceof DiagParseError) return;
        // Bounded: each message consumes at least a header.
        expect(messages.length).toBeLessThanOrEqual(bytes.length / NLMSG_HDRLEN);
        let at = 0;
        for (const m of messages) {
          expect(m.payload.buffer).toBe(bytes.buffer);
          expect(m.payload.byteOffset - bytes.byteOffset).toBe(at + NLMSG_HDRLEN);
          wellFormed(m, bytes);
          expect(viewOf(bytes).getUint32(at, LITTLE_ENDIAN)).toBe(NLMSG_HDRLEN + m.payload.length);
          at += align4(NLMSG_HDRLEN + m.payload.length);
        }
        expect(at - bytes.length).toBeGreaterThanOrEqual(0);
        expect(at - bytes.length).toBeLessThan(4);
      }),
      runs,
    );
  });

  it('parseMessages reads back well-formed datagrams exactly', () => {
    const message = fc.record({
      type: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.nat({ max: 0xffffffff }),
      pid: fc.nat({ max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.boolean(), (list, padLast) => {
        const parts = list.map((m, i) => {
          const length = NLMSG_HDRLEN + m.payload.length;
          const out = new Uint8Array(i < list.length - 1 || padLast ? align4(length) : length);
          const view = viewOf(out);
          view.setUint32(0, length, LITTLE_ENDIAN);
          view.setUint16(4, m.type, LITTLE_ENDIAN);
          view.setUint16(6, m.flags, LITTLE_ENDIAN);
          view.setUint32(8, m.seq, LITTLE_ENDIAN);
          view.setUint32(12, m.pid, LITTLE_ENDIAN);
          out.set(m.payload, NLMSG_HDRLEN);
          return out;
        });
        const parsed = parseMessages(new Uint8Array(Buffer.concat(parts)));
        expect(parsed.map((m) => ({ ...m, payload: Uint8Array.from(m.payload) }))).toEqual(list);
      }),
      { numRuns: 300 },
    );
  });

  it('parseAttributes: DiagParseError or attributes laid end to end inside the bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          damaged(packetSeeds.payloads).map((b) => b.subarray(Math.min(PACKET_MESSAGE_SIZE, b.length))),
          damaged(inetSeeds.flatMap((s) => s.payloads)).map((b) => b.subarray(Math.min(INET_MESSAGE_SIZE, b.length))),
        ),
        fc.nat(9),
        (raw, p) => {
          const bytes = atOffset(raw, p);
          const attributes = parsesOrDiagError(() => parseAttributes(bytes));
          if (attributes instanceof DiagParseError) return;
          expect(attributes.length).toBeLessThanOrEqual(bytes.length / NLA_HDRLEN);
          let at = 0;
          for (const a of attributes) {
            expect(a.type).toBeLessThanOrEqual(NLA_TYPE_MASK);
            expect(a.value.byteOffset - bytes.byteOffset).toBe(at + NLA_HDRLEN);
            // The value is exactly what nla_len claims, not a view clamped at the end of the bytes.
            expect(viewOf(bytes).getUint16(at, LITTLE_ENDIAN)).toBe(NLA_HDRLEN + a.value.length);
            wellFormed(a, bytes);
            at += align4(NLA_HDRLEN + a.value.length);
          }
          // Fewer than a header's worth of trailing bytes are padding.
          expect(bytes.length - at).toBeLessThan(NLA_HDRLEN);
          expect(at - bytes.length).toBeLessThan(4);
        },
      ),
      runs,
    );
  });
});

/** Attribute lists with sizes the parsers care about, encoded with correct lengths. */
const attributes = fc
  .array(
    fc.record({
      type: fc.oneof(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 0, max: 0xffff })),
      value: fc
        .oneof(
          fc.integer({ min: 0, max: 300 }),
          fc.constantFrom(0, 1, 4, 7, 8, 20, 23, 24, 27, 28, 36, 48, 96, 103, 104, 136, 196, 232, 240),
        )
        .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    }),
    { maxLength: 8 },
  )
  .map((list) => {
    const parts = list.map(({ type, value }) => {
      const out = new Uint8Array(align4(NLA_HDRLEN + value.length));
      viewOf(out).setUint16(0, NLA_HDRLEN + value.length, LITTLE_ENDIAN);
      viewOf(out).setUint16(2, type, LITTLE_ENDIAN);
      out.set(value, NLA_HDRLEN);
      return out;
    });
    return new Uint8Array(Buffer.concat(parts));
  });

function structured(size: number, families: number[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.uint8Array({ minLength: size, maxLength: size }), fc.constantFrom(...families), attributes)
    .map(([head, family, rest]) => {
      const out = new Uint8Array(size + rest.length);
      out.set(head);
      out[0] = family;
      out.set(rest, size);
      return out;
    });
}

/** One parse at an offset of a larger buffer must agree with one of a standalone copy. */
function sameAnywhere<T>(parse: (bytes: Uint8Array) => T, data: Uint8Array, prefix: number): T | DiagParseError {
  const here = parsesOrDiagError(() => parse(atOffset(data, prefix)));
  const copy = parsesOrDiagError(() => parse(Uint8Array.from(data)));
  if (here instanceof DiagParseError || copy instanceof DiagParseError) {
    expect(String(here)).toBe(String(copy));
  } else {
    expect(here).toEqual(copy);
  }
  return here;
}

describe('packet_diag and inet_diag answers', () => {
  it('parsePacketDiagMessage: DiagParseError or a well-formed record', () => {
    fc.assert(
      fc.property(
        fc.oneof(damaged(packetSeeds.payloads), structured(PACKET_MESSAGE_SIZE, [17, 17, 0])),
        fc.oneof(fc.constant(0x3f), fc.integer({ min: 0, max: 0xff })),
        fc.nat(9),
        (payload, shown, prefix) => {
          const record = sameAnywhere((b) => parsePacketDiagMessage(b, shown), payload, prefix);
          if (record instanceof DiagParseError) return;
          wellFormed(record);
          expect(payload[0]).toBe(17);
          expect(record.socketType).toBe(payload[1]);
          expect(record.protocol).toBeLessThanOrEqual(0xffff);
          expect(BigInt(record.cookie)).toBeLessThan(2n ** 64n);
          // Whatever was read came from the attribute bytes that were there.
          const room = payload.length - PACKET_MESSAGE_SIZE;
          expect((record.filter?.instructions?.length ?? 0) * 8).toBeLessThanOrEqual(room);
          expect((record.memberships?.length ?? 0) * 44).toBeLessThanOrEqual(room);
          for (const m of record.memberships ?? []) expect(m.address.length).toBeLessThanOrEqual(32 * 3 - 1);
          if (record.fanout) expect(record.fanout.id).toBeLessThanOrEqual(0xffff);
        },
      ),
      runs,
    );
  });

  it('parseInetDiagMessage: DiagParseError or a well-formed record', () => {
    fc.assert(
      fc.property(
        fc.oneof(damaged(inetSeeds.flatMap((s) => s.payloads)), structured(INET_MESSAGE_SIZE, [2, 10, 2, 10, 0])),
        fc.oneof(fc.constantFrom(6, 17, 136), fc.integer({ min: 0, max: 0xff })),
        fc.nat(9),
        (payload, protocol, prefix) => {
          const record = sameAnywhere((b) => parseInetDiagMessage(b, protocol), payload, prefix);
          if (record instanceof DiagParseError) return;
          wellFormed(record);
          expect([4, 6]).toContain(record.family);
          expect(record.localPort).toBeLessThanOrEqual(0xffff);
          expect(record.peerPort).toBeLessThanOrEqual(0xffff);
          expect(typeof record.localAddress).toBe('string');
          expect(typeof record.peerAddress).toBe('string');
          if (record.tcpInfo) expect(record.protocol).toBe(6);
          expect((record.memory?.length ?? 0) * 4).toBeLessThanOrEqual(payload.length - INET_MESSAGE_SIZE);
        },
      ),
      runs,
    );
  });

  it('whole damaged dumps: every answer in every datagram parses or throws DiagParseError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          damaged(packetSeeds.datagrams).map((bytes) => ({ bytes, protocol: -1 })),
          ...inetSeeds.map((s) => damaged(s.datagrams).map((bytes) => ({ bytes, protocol: s.protocol }))),
        ),
        ({ bytes, protocol }) => {
          parsesOrDiagError(() => {
            for (const m of parseMessages(bytes)) {
              if (m.type !== SOCK_DIAG_BY_FAMILY) continue;
              const record = parsesOrDiagError(() =>
                protocol < 0 ? parsePacketDiagMessage(m.payload, 0x3f) : parseInetDiagMessage(m.payload, protocol),
              );
              if (!(record instanceof DiagParseError)) wellFormed(record);
            }
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

type ProcEdit =
  | { kind: 'cut-text'; at: number }
  | { kind: 'cut-line'; line: number; at: number }
  | { kind: 'drop-line'; line: number }
  | { kind: 'drop-column'; line: number; column: number }
  | { kind: 'add-column'; line: number; column: number; text: string }
  | { kind: 'set-field'; line: number; column: number; text: string }
  | { kind: 'inode'; line: number; text: string }
  | { kind: 'line-end'; text: string };

const hugeNumber = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 128n }).map(String),
  fc.constantFrom(
    '18446744073709551615',
    '18446744073709551616',
    '9007199254740993',
    '9'.repeat(400),
    `${'0'.repeat(40)}7`,
    '0',
    '-1',
    '+1',
    '1e3',
    '0x10',
    '١٢٣', // Arabic-Indic digits: not \d
  ),
);
const token = fc.oneof(
  hugeNumber,
  fc.constantFrom('Inode', 'Type', 'Proto', 'R', '', 'ffff', 'g', '10000', '__proto__', 'constructor'),
  fc.string({ maxLength: 6 }),
);
const procEdit: fc.Arbitrary<ProcEdit> = fc.oneof(
  fc.record({ kind: fc.constant('cut-text' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('cut-line' as const), line: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('drop-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('drop-column' as const), line: fc.nat(), column: fc.nat() }),
  fc.record({ kind: fc.constant('add-column' as const), line: fc.nat(), column: fc.nat(), text: token }),
  fc.record({ kind: fc.constant('set-field' as const), line: fc.nat(), column: fc.nat(), text: token }),
  fc.record({ kind: fc.constant('inode' as const), line: fc.nat(), text: hugeNumber }),
  fc.record({ kind: fc.constant('line-end' as const), text: fc.constantFrom('\r\n', '\n\n', '\t\n', '\0\n', ' \n') }),
);

function applyEdit(text: string, edit: ProcEdit): string {
  if (edit.kind === 'cut-text') return text.slice(0, edit.at % (text.length + 1));
  if (edit.kind === 'line-end') return text.replaceAll('\n', edit.text);
  const lines = text.split('\n');
  const line = 'line' in edit ? edit.line % lines.length : 0;
  const fields = lines[line].trim().split(/\s+/);
  switch (edit.kind) {
    case 'cut-line':
      lines[line] = lines[line].slice(0, edit.at % (lines[line].length + 1));
      break;
    case 'drop-line':
      lines.splice(line, 1);
      break;
    case 'drop-column':
      fields.splice(edit.column % fields.length, 1);
      lines[line] = fields.join(' ');
      break;
    case 'add-column':
      fields.splice(edit.column % (fields.length + 1), 0, edit.text);
      lines[line] = fields.join(' ');
      break;
    case 'set-field':
      fields[edit.column % fields.length] = edit.text;
      lines[line] = fields.join(' ');
      break;
    case 'inode': {
      const column = lines[0].trim().split(/\s+/).indexOf('Inode');
      if (column >= 0 && line > 0 && column < fields.length) fields[column] = edit.text;
      lines[line] = fields.join(' ');
      break;
    }
  }
  return lines.join('\n');
}

function procChecked(text: string): void {
  const records = parsesOrDiagError(() => parseProcNetPacket(text));
  if (records instanceof DiagParseError) return;
  expect(records.length).toBeLessThanOrEqual(Math.max(0, text.split('\n').length - 1));
  for (const r of records) {
    wellFormed(r);
    for (const n of [r.socketType, r.interfaceIndex, r.receiveQueue, r.uid]) expect(Number.isSafeInteger(n)).toBe(true);
    expect(r.protocol).toBeLessThanOrEqual(0xffff);
    expect(typeof r.running).toBe('boolean');
  }
}

describe('/proc/net/packet', () => {
  it('random text parses or throws DiagParseError', () => {
    const header = 'sk       RefCnt Type Proto  Iface R Rmem   User   Inode';
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc
            .array(fc.array(token, { maxLength: 11 }), { maxLength: 5 })
            .map((rows) => [header, ...rows.map((r) => r.join(' '))].join('\n')),
        ),
        procChecked,
      ),
      runs,
    );
  });

  it('the real file with lines cut, columns added or removed and huge inodes parses or throws DiagParseError', () => {
    fc.assert(
      fc.property(fc.array(procEdit, { minLength: 1, maxLength: 5 }), (edits) => {
        procChecked(edits.reduce(applyEdit, procText));
      }),
      runs,
    );
  });

  it('any inode the kernel can print is kept exactly, in canonical decimal', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), fc.nat(4), (inodes, zeros) => {
        const lines = procText.trimEnd().split('\n');
        const column = lines[0].trim().split(/\s+/).indexOf('Inode');
        const rows = lines.slice(1).map((line, i) => {
          const fields = line.trim().split(/\s+/);
          if (i < inodes.length) fields[column] = '0'.repeat(zeros) + String(inodes[i]);
          return fields.join(' ');
        });
        const records = parseProcNetPacket([lines[0], ...rows].join('\n'));
        expect(records.map((r) => r.inode).slice(0, inodes.length)).toEqual(inodes.slice(0, rows.length).map(String));
      }),
      { numRuns: 300 },
    );
  });
});

/** Character-level damage: inserts, deletes and replacements from `alphabet` or anything. */
function textMutated(seeds: string[], alphabet: string): fc.Arbitrary<string> {
  const char = fc.oneof(fc.constantFrom(...alphabet), fc.string({ minLength: 1, maxLength: 1 }));
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(2), fc.nat(), char), { maxLength: 5 }))
    .map(([seed, edits]) => {
      let text = seed;
      for (const [kind, where, c] of edits) {
        const at = where % (text.length + 1);
        const end = kind === 0 ? at : at + 1; // 0 insert, 1 replace, 2 delete
        text = text.slice(0, at) + (kind === 2 ? '' : c) + text.slice(end);
      }
      return text;
    });
}

describe('/proc/PID/fd links and /proc/PID/comm', () => {
  it('parseSocketLink never throws and names an inode exactly for socket:[DIGITS]', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          textMutated(links, 'socket:[]0123456789 \n'),
          hugeNumber.map((n) => `socket:[${n}]`),
        ),
        (link) => {
          const inode = parseSocketLink(link);
          const match = /^socket:\[(\d+)\]$/.exec(link);
          if (match) expect(inode).toBe(BigInt(match[1]).toString());
          else expect(inode).toBeUndefined();
        },
      ),
      runs,
    );
  });

  it('parseComm never throws and drops at most one trailing newline', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), textMutated([comm], '\n\0 ()')), (text) => {
        const name = parseComm(text);
        expect(name === text || (text.endsWith('\n') && name === text.slice(0, -1))).toBe(true);
      }),
      runs,
    );
  });
});
