// The assembler reads tcpdump -d and bpf_asm syntax; the disassembler prints what tcpdump -d prints.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  assemble,
  BpfAssemblyError,
  compile,
  disassemble,
  type Instruction,
  loadAncillary,
  opcodes,
  toProgram,
  udpPort,
  vlan,
} from '../lib/bpf/index.js';

const { BPF_LD, BPF_H, BPF_ABS, BPF_JMP, BPF_JEQ, BPF_K, BPF_RET, SKF_AD_PROTOCOL } = opcodes;

function tcpdumpD(expression: string): string {
  return execFileSync('tcpdump', ['-y', 'EN10MB', '-d', expression], { encoding: 'utf8' });
}

/** Fields an instruction does not use (libpcap leaves junk in some) are not part of its meaning. */
function normalize(program: Instruction[]): string {
  return disassemble(program);
}

describe('disassemble', () => {
  it.each([
    'ip',
    'udp port 53 or (vlan and tcp)',
    'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
    'ip[2:2] * 3 / 2 - 1 = len and ip[1] != 0',
    'ip6 and udp portrange 1000-2000',
    'ether[0] & 1 = 0 and ip[16] >= 224',
    'icmp[icmptype] == icmp-echo',
    'ip and (ip[0] & 0xf) * 4 - 20 > 0 and udp[8:4] % 7 = 3 and udp[8] ^ 5 = 1',
    'net 10.0.0.0/8 and not host 10.1.2.3',
  ])('prints %s exactly as tcpdump -d does', (expression) => {
    const program = compile(expression);
    expect(disassemble(program)).toBe(tcpdumpD(expression));
  });

  it('names Linux ancillary loads as libpcap does and shows negative offsets signed', () => {
    const program = [
      loadAncillary(SKF_AD_PROTOCOL, 2),
      { code: BPF_LD | BPF_H | BPF_ABS, jt: 0, jf: 0, k: -0x100000 >>> 0 },
      { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0xffffffff },
    ];
    expect(disassemble(program)).toBe('(000) ldh      [proto]\n(001) ldh      [-1048576]\n(002) ret      #-1\n');
  });

  it('prints opcodes it does not know as unimp', () => {
    expect(disassemble([{ code: 0x0e, jt: 0, jf: 0, k: 0 }])).toBe('(000) unimp    0xe\n');
  });
});

describe('assemble', () => {
  it.each([
    'udp port 53 or (vlan and tcp)',
    'host 192.0.2.1 and tcp dst port 443',
    'ip[2:2] * 3 / 2 - 1 = len and ip[1] != 0',
    'ip6 host 2001:db8::1',
    'ip and udp[8:4] % 7 = 3 and udp[8] ^ 5 = 1 and ip[0] & 0xf << 1 != 0',
  ])('reads back what tcpdump -d prints for %s', (expression) => {
    const text = tcpdumpD(expression);
    const program = assemble(text);
    expect(disassemble(program)).toBe(text);
    expect(normalize(program)).toBe(normalize(compile(expression)));
  });

  it('round-trips the builders', () => {
    for (const filter of [udpPort(53), vlan(7, udpPort([1, 100], 'dst'))]) {
      const program = toProgram(filter);
      expect(assemble(disassemble(program))).toEqual(program);
    }
  });

  it('reads the kernel bpf_asm syntax: labels, ancillary names, comments, number bases', () => {
    const program = assemble(`
      ; IPv4 UDP to port 53, keep 0x100 bytes
      # a comment line
      ldh [12]            /* EtherType */
      jne #0x800, drop
      ldb [23]
      jeq #17, udp, drop
    udp: ldxb 4*([14]&0xf)
      ldh [x + 16]
      jeq #53, keep
      ja drop
    keep: ret #0x100
    drop: ret #0
      ld #proto
      ldb #type
      ld #len
      ldx #0b101
      ld #010
      ld M[3]
      ret a
    `);
    expect(disassemble(program)).toBe(
      [
        '(000) ldh      [12]',
        '(001) jeq      #0x800           jt 2\tjf 9',
        '(002) ldb      [23]',
        '(003) jeq      #0x11            jt 4\tjf 9',
        '(004) ldxb     4*([14]&0xf)',
        '(005) ldh      [x + 16]',
        '(006) jeq      #0x35            jt 8\tjf 7',
        '(007) ja       9',
        '(008) ret      #256',
        '(009) ret      #0',
        '(010) ld       [proto]',
        '(011) ldb      [type]',
        '(012) ld       #pktlen',
        '(013) ldx      #0x5',
        '(014) ld       #0x8',
        '(015) ld       M[3]',
        '(016) ret      ',
        '',
      ].join('\n'),
    );
  });

  it('makes the instructions the kernel headers define', () => {
    expect(assemble('ldh [proto]\njeq #0x86dd, a, b\na: ret #1\nb: ret #0')).toEqual([
      { code: BPF_LD | BPF_H | BPF_ABS, jt: 0, jf: 0, k: 0xfffff000 },
      { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 0, jf: 1, k: 0x86dd },
      { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 1 },
      { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 },
    ]);
  });

  it.each([
    ['ld [12]\nfoo #1\nret #0', 2, 'unknown instruction "foo"'],
    ['jeq #1, nowhere\nret #0', 1, 'unknown label "nowhere"'],
    ['a: ret #0\njeq #1, a, a', 2, 'jumps go forward only'],
    ['ld #0x1ffffffff\nret a', 1, 'does not fit in 32 bits'],
    ['st [3]\nret a', 1, 'needs a scratch cell'],
    ['x: ld #1\nx: ret a', 2, 'defined twice'],
    ['tax 5\nret a', 1, 'takes no operand'],
    [`jeq #1, far\n${'ld #0\n'.repeat(300)}far: ret #0`, 1, '8-bit'],
  ])('names the line of a mistake (%#)', (text, line, message) => {
    let error: unknown;
    try {
      assemble(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpfAssemblyError);
    expect(error).toMatchObject({ code: 'ERR_BPF_ASSEMBLY', line });
    expect((error as Error).message).toContain(`line ${line}:`);
    expect((error as Error).message).toContain(message);
  });
});
