// The VM agrees with the kernel: programs (from the builders, from libpcap and random ones) are
// attached to real packet sockets on `lo` in a fresh user + network namespace, random frames are
// sent, and what each socket receives (which copies, how many bytes) must be what run() predicts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  and,
  compile,
  host,
  type Instruction,
  instruction,
  ipProtocol,
  net,
  not,
  opcodes,
  or,
  outgoing,
  packetType,
  port,
  run,
  tcpPort,
  toProgram,
  udpPort,
  validate,
  vlan,
} from '../lib/bpf/index.js';
import * as f from './helpers/bpf-frames.js';

const O = opcodes;

/** What the VM says each copy of each frame gives, in the shape runInKernel() reports. */
function predict(programs: Instruction[][], frames: Buffer[]): [number, number][][][] {
  return frames.map((frame) =>
    programs.map((program) =>
      f
        .loopbackViews(frame)
        .map(({ data, context }): [number, number] => [
          context.pktType ?? 0,
          Math.min(data.length, run(program, data, context)),
        ])
        .filter(([, length]) => length > 0)
        .sort((a, b) => a[0] - b[0]),
    ),
  );
}

function observe(programs: Instruction[][], frames: Buffer[]): [number, number][][][] {
  // The model of what lo does with each frame must hold before the filters are compared: the
  // peer waits for the copies the model predicts and reports how many came.
  const expected = frames.map((frame) => f.loopbackViews(frame).length);
  const { receipts, copies } = f.runInKernel(programs, frames, expected);
  expect(copies).toEqual(expected);
  return receipts.map((perProgram) =>
    perProgram.map((receipts) => {
      for (const [, , how] of receipts) expect(how).not.toBe('other');
      return receipts.map(([type, length]): [number, number] => [type, length]).sort((a, b) => a[0] - b[0]);
    }),
  );
}

// Frames that exercise the builders: IPv4/IPv6, UDP/TCP/UDP-Lite, ports near the filtered ones,
// fragments, IP options, VLAN tags, truncation. Addresses are never local and destination MACs
// never lo's own, so the namespace's IP stack stays silent.
const portArb = fc.constantFrom(53, 54, 1000, 1500, 2000, 2001, 40000);
const transportArb = fc.record({
  protocol: fc.constantFrom(6, 17, 136, 1),
  sport: portArb,
  dport: portArb,
});
const v4Arb = fc.record({
  src: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.9.8.7', '192.0.2.7'),
  dst: fc.constantFrom('10.0.0.1', '192.0.2.7', '192.0.2.200'),
  fragmentOffset: fc.constantFrom(0, 0, 0, 1, 185),
  moreFragments: fc.boolean(),
  options: fc.constantFrom(0, 0, 4, 8),
});
const v6Arb = fc.record({
  src: fc.constantFrom('2001:db8::1', '2001:db8::2', '2001:db8:1::5'),
  dst: fc.constantFrom('2001:db8::1', '2001:db8:1::5', 'fe80::1'),
  fragment: fc.boolean(),
});
const frameArb = fc
  .record({
    dst: fc.constantFrom(f.MAC.other, f.MAC.multicast, 'ff:ff:ff:ff:ff:ff'),
    vlans: fc.array(fc.record({ tci: fc.integer({ min: 0, max: 0xffff }), tpid: fc.constantFrom(0x8100, 0x88a8) }), {
      maxLength: 2,
    }),
    family: fc.constantFrom(4, 6, 0),
    v4: v4Arb,
    v6: v6Arb,
    transport: transportArb,
    cut: fc.option(fc.integer({ min: 14, max: 80 }), { nil: undefined }),
  })
  .map((spec) => {
    const { protocol, sport, dport } = spec.transport;
    const l4 = protocol === 6 ? f.tcp(sport, dport) : f.udp(sport, dport);
    let type = 0x88b5;
    let l3: number[] = [1, 2, 3, 4, 5, 6, 7, 8];
    if (spec.family === 4) {
      type = f.ETH_IPV4;
      l3 = f.ipv4({ ...spec.v4, protocol }, l4);
    } else if (spec.family === 6) {
      type = f.ETH_IPV6;
      l3 = spec.v6.fragment
        ? f.ipv6({ ...spec.v6, nextHeader: 44 }, f.ipv6Fragment(protocol, 0, l4))
        : f.ipv6({ ...spec.v6, nextHeader: protocol }, l4);
    }
    const frame = f.ethernet({ dst: spec.dst, type, vlans: spec.vlans }, l3);
    return spec.cut === undefined ? frame : frame.subarray(0, Math.max(14, Math.min(frame.length, spec.cut)));
  });

const filterPrograms: Instruction[][] = [
  toProgram(udpPort(53)),
  toProgram(tcpPort([1000, 2000], 'dst')),
  toProgram(port(53, { protocol: ['udp', 'udplite'], direction: 'src' })),
  toProgram(host('10.0.0.1')),
  toProgram(net('192.0.2.0/24', 'dst')),
  toProgram(host('2001:db8::1', 'src')),
  toProgram(net('2001:db8:1::/48')),
  toProgram(ipProtocol('udplite')),
  toProgram(vlan()),
  toProgram(vlan(5, udpPort(53))),
  toProgram(vlan(undefined, vlan(undefined, ipProtocol('tcp')))),
  toProgram(not(outgoing())),
  toProgram(and(ipProtocol('tcp', { family: 6 }), not(outgoing()))),
  toProgram(or(packetType(O.PACKET_MULTICAST), host('192.0.2.7')), { snaplen: 20 }),
  toProgram(udpPort(53), { framing: 'loopback', snaplen: 42 }),
  compile('udp port 53'),
  compile('tcp[tcpflags] & tcp-syn != 0'),
  compile('ip6 and tcp'),
  compile('vlan 5'),
  compile('ip[6:2] & 0x1fff != 0'),
  compile('greater 60'),
  compile('ether multicast'),
  compile('udp port 53', { snaplen: 30 }),
];

// Random valid programs: a prologue fills M[0..3] (reads before writes are refused), then random
// loads (packet, indirect, negative offsets, ancillary), ALU operations, stores and forward jumps.
const SKF = (offset: number) => (O.SKF_AD_OFF + offset) >>> 0;
const ancillaries = [
  O.SKF_AD_PROTOCOL,
  O.SKF_AD_PKTTYPE,
  O.SKF_AD_IFINDEX,
  O.SKF_AD_HATYPE,
  O.SKF_AD_VLAN_TAG,
  O.SKF_AD_VLAN_TAG_PRESENT,
  O.SKF_AD_VLAN_TPID,
  O.SKF_AD_ALU_XOR_X,
  O.SKF_AD_MARK,
];
const u32 = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 0xffffffff }));
const sizes = [O.BPF_W, O.BPF_H, O.BPF_B];
const aluOps = [
  O.BPF_ADD,
  O.BPF_SUB,
  O.BPF_MUL,
  O.BPF_DIV,
  O.BPF_MOD,
  O.BPF_AND,
  O.BPF_OR,
  O.BPF_XOR,
  O.BPF_LSH,
  O.BPF_RSH,
];
const jumpOps = [O.BPF_JEQ, O.BPF_JGT, O.BPF_JGE, O.BPF_JSET];
const stepArb: fc.Arbitrary<Instruction> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...sizes), fc.integer({ min: 0, max: 72 }))
    .map(([s, k]) => instruction(O.BPF_LD | s | O.BPF_ABS, k)),
  fc
    .tuple(fc.constantFrom(...sizes), fc.integer({ min: -24, max: 60 }))
    .map(([s, k]) => instruction(O.BPF_LD | s | O.BPF_IND, k)),
  fc
    .tuple(fc.constantFrom(...sizes), fc.constantFrom(O.SKF_NET_OFF, O.SKF_LL_OFF), fc.integer({ min: 0, max: 40 }))
    .map(([s, base, k]) => instruction(O.BPF_LD | s | O.BPF_ABS, base + k)),
  fc
    .tuple(fc.constantFrom(...sizes), fc.constantFrom(...ancillaries))
    .map(([s, a]) => instruction(O.BPF_LD | s | O.BPF_ABS, SKF(a))),
  fc.integer({ min: 0, max: 40 }).map((k) => instruction(O.BPF_LDX | O.BPF_B | O.BPF_MSH, k)),
  u32.map((k) => instruction(O.BPF_LD | O.BPF_IMM, k)),
  u32.map((k) => instruction(O.BPF_LDX | O.BPF_IMM, k)),
  fc.constantFrom(instruction(O.BPF_LD | O.BPF_W | O.BPF_LEN), instruction(O.BPF_LDX | O.BPF_W | O.BPF_LEN)),
  fc.tuple(fc.constantFrom(...aluOps), u32).map(([op, k]) => {
    let value = k;
    if (op === O.BPF_DIV || op === O.BPF_MOD) value = k || 1;
    if (op === O.BPF_LSH || op === O.BPF_RSH) value = k % 32;
    return instruction(O.BPF_ALU | op | O.BPF_K, value);
  }),
  fc.constantFrom(...aluOps).map((op) => instruction(O.BPF_ALU | op | O.BPF_X)),
  fc.constantFrom(
    instruction(O.BPF_ALU | O.BPF_NEG),
    instruction(O.BPF_MISC | O.BPF_TAX),
    instruction(O.BPF_MISC | O.BPF_TXA),
  ),
  fc
    .tuple(
      fc.constantFrom(O.BPF_ST, O.BPF_STX, O.BPF_LD | O.BPF_MEM, O.BPF_LDX | O.BPF_MEM),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([code, k]) => instruction(code, k)),
  fc
    .tuple(fc.constantFrom(...jumpOps), fc.boolean(), u32, fc.nat(6), fc.nat(6))
    .map(([op, x, k, jt, jf]) => instruction(O.BPF_JMP | op | (x ? O.BPF_X : O.BPF_K), x ? 0 : k, jt, jf)),
  fc.nat(4).map((k) => instruction(O.BPF_JMP | O.BPF_JA, k)),
);
const programArb = fc
  .tuple(
    fc.array(u32, { minLength: 4, maxLength: 4 }),
    fc.array(stepArb, { minLength: 1, maxLength: 24 }),
    fc.boolean(),
  )
  .map(([initial, steps, mask]) => {
    const prologue = initial.flatMap((k, i) => [instruction(O.BPF_LD | O.BPF_IMM, k), instruction(O.BPF_ST, i)]);
    const epilogue = [
      ...(mask ? [instruction(O.BPF_ALU | O.BPF_AND | O.BPF_K, 0x7f)] : []),
      instruction(O.BPF_RET | O.BPF_A),
    ];
    const program = [...prologue, ...steps, ...epilogue];
    // Keep every jump inside the program.
    return program.map((insn, pc) => {
      const room = program.length - pc - 2;
      if (insn.code === (O.BPF_JMP | O.BPF_JA)) return { ...insn, k: Math.min(insn.k, room) };
      if ((insn.code & 0x07) === O.BPF_JMP)
        return { ...insn, jt: Math.min(insn.jt, room), jf: Math.min(insn.jf, room) };
      return insn;
    });
  });
const randomFrameArb = fc
  .record({
    dst: fc.constantFrom(f.MAC.other, f.MAC.multicast),
    type: fc.constantFrom(0x0800, 0x86dd, 0x88b5, 0x8100, 0x88a8, 0x0100),
    body: fc.uint8Array({ minLength: 0, maxLength: 60 }),
  })
  .map(({ dst, type, body }) => f.ethernet({ dst, type }, body));

describe('the VM agrees with the kernel', () => {
  it('on builder and libpcap programs over random frames', () => {
    for (const program of filterPrograms) validate(program);
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 12, maxLength: 12 }), (frames) => {
        expect(observe(filterPrograms, frames)).toEqual(predict(filterPrograms, frames));
      }),
      { numRuns: 12, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });

  it('on random programs over random frames', () => {
    fc.assert(
      fc.property(
        fc.array(programArb, { minLength: 20, maxLength: 20 }),
        fc.array(randomFrameArb, { minLength: 8, maxLength: 8 }),
        (programs, frames) => {
          for (const program of programs) validate(program);
          expect(observe(programs, frames)).toEqual(predict(programs, frames));
        },
      ),
      { numRuns: 12, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });

  it('truncates and drops as the kernel does at the edges', () => {
    const frame = f.ethernet({ type: 0x88b5 }, [1, 2, 3, 4]);
    const programs = [
      [
        instruction(O.BPF_LD | O.BPF_IMM, 1),
        instruction(O.BPF_LDX | O.BPF_IMM, 33),
        instruction(O.BPF_ALU | O.BPF_LSH | O.BPF_X),
        instruction(O.BPF_RET | O.BPF_A),
      ],
      [
        instruction(O.BPF_LDX | O.BPF_IMM, 0),
        instruction(O.BPF_ALU | O.BPF_DIV | O.BPF_X),
        instruction(O.BPF_RET | O.BPF_K, 5),
      ],
      [instruction(O.BPF_LD | O.BPF_W | O.BPF_ABS, 15), instruction(O.BPF_RET | O.BPF_K, 5)],
      [instruction(O.BPF_LD | O.BPF_B | O.BPF_ABS, 17), instruction(O.BPF_RET | O.BPF_K, 0xffffffff)],
    ];
    const expected: [number, number][][] = [
      [
        [3, 2],
        [4, 2],
      ], // 1 << (33 & 31)
      [], // division by X = 0
      [], // load past the end
      [
        [3, 18],
        [4, 18],
      ], // last byte, whole frame
    ];
    expect(observe(programs, [frame])[0]).toEqual(expected);
    expect(predict(programs, [frame])[0]).toEqual(expected);
  });
});
