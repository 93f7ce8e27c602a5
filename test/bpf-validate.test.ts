// validate() refuses exactly what the kernel refuses: every rule is checked against a real
// SO_ATTACH_FILTER on a UDP socket (test/helpers/attach-filter.py; no privileges needed).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assemble,
  BpfValidationError,
  type BpfViolation,
  compile,
  host,
  type Instruction,
  instruction,
  isValid,
  not,
  opcodes,
  or,
  outgoing,
  toProgram,
  udpPort,
  validate,
  vlan,
} from '../lib/bpf/index.js';
import { kernelAccepts } from './helpers/bpf-frames.js';

const { BPF_ALU, BPF_DIV, BPF_MOD, BPF_K, BPF_LSH, BPF_RSH, BPF_RET, BPF_LD, BPF_W, BPF_IMM, BPF_B, BPF_ABS } = opcodes;

const ret0 = instruction(BPF_RET | BPF_K, 0);

interface Rejected {
  name: string;
  program: Instruction[];
  rule: BpfViolation;
  index: number;
}

const rejected: Rejected[] = [
  { name: 'empty program', program: [], rule: 'length', index: -1 },
  {
    name: '4097 instructions',
    program: [...new Array<Instruction>(4096).fill(instruction(BPF_LD | BPF_IMM, 1)), ret0],
    rule: 'length',
    index: -1,
  },
  { name: 'unknown opcode 0xff', program: [instruction(0xff), ret0], rule: 'opcode', index: 0 },
  { name: 'ret x (bpf_asm accepts it)', program: assemble('ld #1\nret x'), rule: 'opcode', index: 1 },
  {
    name: 'ld #k with a size (ldb #1)',
    program: [instruction(BPF_LD | BPF_B | BPF_IMM, 1), ret0],
    rule: 'opcode',
    index: 0,
  },
  { name: 'neg with the X bit', program: [instruction(0x8c), ret0], rule: 'opcode', index: 0 },
  { name: 'ldx [k] (seccomp only)', program: [instruction(0x21, 0), ret0], rule: 'opcode', index: 0 },
  { name: 'stray high opcode bits', program: [instruction(0x106, 0)], rule: 'opcode', index: 0 },
  { name: 'div #0', program: assemble('ld #1\ndiv #0\nret a'), rule: 'division-by-zero', index: 1 },
  { name: 'mod #0', program: [instruction(BPF_ALU | BPF_MOD | BPF_K, 0), ret0], rule: 'division-by-zero', index: 0 },
  { name: 'lsh #32', program: [instruction(BPF_ALU | BPF_LSH | BPF_K, 32), ret0], rule: 'shift-range', index: 0 },
  {
    name: 'rsh #0xffffffff',
    program: [instruction(BPF_ALU | BPF_RSH | BPF_K, -1), ret0],
    rule: 'shift-range',
    index: 0,
  },
  { name: 'st M[16]', program: assemble('st M[16]\nret #0'), rule: 'scratch-index', index: 0 },
  { name: 'ldx M[16]', program: assemble('ldx M[16]\nret #0'), rule: 'scratch-index', index: 0 },
  { name: 'ja past the end', program: [instruction(0x05, 1), ret0], rule: 'jump-range', index: 0 },
  { name: 'ja far backwards (k = -1)', program: [instruction(0x05, -1), ret0], rule: 'jump-range', index: 0 },
  { name: 'jeq jt past the end', program: [instruction(0x15, 0, 1, 0), ret0], rule: 'jump-range', index: 0 },
  {
    name: 'jf = 255 one past the end',
    program: [instruction(0x15, 0, 0, 255), ...new Array<Instruction>(255).fill(ret0)],
    rule: 'jump-range',
    index: 0,
  },
  { name: 'jset jf past the end', program: [instruction(0x45, 0, 0, 200), ret0], rule: 'jump-range', index: 0 },
  {
    name: 'unknown ancillary offset SKF_AD_OFF + 64',
    program: [instruction(BPF_LD | BPF_W | BPF_ABS, -0x1000 + 64), ret0],
    rule: 'ancillary',
    index: 0,
  },
  {
    name: 'ancillary offset between names (SKF_AD_OFF + 2)',
    program: [instruction(BPF_LD | BPF_B | BPF_ABS, -0x1000 + 2), ret0],
    rule: 'ancillary',
    index: 0,
  },
  { name: 'ld [-1]', program: [instruction(BPF_LD | BPF_W | BPF_ABS, -1), ret0], rule: 'ancillary', index: 0 },
  { name: 'last instruction not ret', program: assemble('ret #0\nld #1'), rule: 'last-not-ret', index: 1 },
  { name: 'scratch read never written', program: assemble('ld M[0]\nret a'), rule: 'scratch-uninitialized', index: 0 },
  {
    name: 'scratch written on one path only',
    program: assemble('ld #1\njeq #1, store, skip\nstore: st M[2]\nskip: ld M[2]\nret a'),
    rule: 'scratch-uninitialized',
    index: 3,
  },
  {
    name: 'scratch written only on the path ja skips',
    program: assemble('ja over\nst M[5]\nover: ldx M[5]\nret #1'),
    rule: 'scratch-uninitialized',
    index: 2,
  },
];

const accepted: { name: string; program: Instruction[] }[] = [
  { name: 'ret #0 alone', program: [ret0] },
  {
    name: '4096 instructions',
    program: [...new Array<Instruction>(4095).fill(instruction(BPF_LD | BPF_IMM, 1)), ret0],
  },
  { name: 'div x and mod x (checked at run time)', program: assemble('div x\nmod x\nret a') },
  { name: 'lsh #31 and shifts by X', program: assemble('lsh #31\nrsh x\nlsh x\nret a') },
  {
    name: 'every ancillary name',
    program: assemble(
      `${['proto', 'type', 'ifidx', 'nla', 'nlan', 'mark', 'queue', 'hatype', 'rxhash', 'cpu', 'xor_x', 'vlan_tci', 'vlanp', 'poff', 'random', 'vlan_tpid'].map((n) => `ldb [${n}]`).join('\n')}\nret a`,
    ),
  },
  { name: 'SKF_NET_OFF and SKF_LL_OFF loads', program: assemble('ldb [-1048576]\nldh [-2097152]\nld [-4097]\nret a') },
  {
    name: 'indirect loads in the ancillary range (only absolute ones are checked)',
    program: assemble('ld [x + -4096]\nret a'),
  },
  {
    name: 'scratch written on both paths',
    program: assemble('jeq #1, a, b\na: st M[15]\nja c\nb: stx M[15]\nc: ld M[15]\nret a'),
  },
  {
    name: 'jump to the last instruction with the largest offset',
    program: [instruction(0x15, 0, 255, 0), ...new Array<Instruction>(256).fill(ret0)],
  },
  { name: 'builders', program: toProgram(or(host('2001:db8::1'), vlan(3, udpPort(53)), not(outgoing()))) },
  {
    name: 'libpcap output',
    program: compile('tcp[tcpflags] & tcp-syn != 0 and ip[2:2] - ip[3] > 3 or len < 100 or udp[8:2] / 3 = 5'),
  },
];

let kernel: string[] = [];
beforeAll(() => {
  kernel = kernelAccepts([...rejected.map((r) => r.program), ...accepted.map((a) => a.program)]);
});

describe('validate', () => {
  it.each(rejected.map((r, i) => [r.name, i] as const))('refuses %s, as the kernel does', (_name, i) => {
    const { program, rule, index } = rejected[i] as Rejected;
    expect(kernel[i]).toBe('EINVAL');
    let error: unknown;
    try {
      validate(program);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpfValidationError);
    expect(error).toMatchObject({ code: 'ERR_BPF_INVALID', rule, index });
    expect(isValid(program)).toBe(false);
  });

  it.each(accepted.map((a, i) => [a.name, i] as const))('accepts %s, as the kernel does', (_name, i) => {
    const { program } = accepted[i] as { program: Instruction[] };
    expect(kernel[rejected.length + i]).toBe('ok');
    expect(validate(program).length).toBe(program.length);
  });

  it('reports what a valid program uses', () => {
    expect(validate(assemble('ld #proto\nst M[3]\nstx M[1]\nldb [-1048567]\nld M[3]\nret a'))).toEqual({
      length: 6,
      scratchUsed: [1, 3],
      ancillary: [0],
      negativeOffsets: true,
    });
  });

  it('explains the refusal in the message', () => {
    expect(() => validate(assemble('ld #1\ndiv #0\nret a'))).toThrow(
      'instruction 1: division or modulo by the constant 0',
    );
    expect(() => validate([instruction(BPF_ALU | BPF_DIV | BPF_K, 1)])).toThrow(/last instruction must be ret/);
    expect(() => validate([{ code: 6, jt: 256, jf: 0, k: 0 }])).toThrow(/struct sock_filter/);
  });
});
