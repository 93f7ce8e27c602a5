// The interpreter follows the kernel's run-time rules (checked against the kernel itself in
// bpf-kernel.test.ts); these are the rules spelled out one by one.
import { describe, expect, it } from 'vitest';
import { assemble, BpfValidationError, capturedLength, matches, opcodes, run } from '../lib/bpf/index.js';

const packet = Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x45, 0x80]);
const runText = (text: string, data: Uint8Array = packet, options = {}) => run(assemble(text), data, options);

describe('run', () => {
  it.each(
    [
      ['ld [0]', 0x00010203],
      ['ldh [2]', 0x0203],
      ['ldb [9]', 0x80],
      ['ld #pktlen', 10],
      ['ldx #2\nld [x + 4]', 0x06074580],
      ['ldxb 4*([8]&0xf)\ntxa', 20],
      ['ld #0xffffffff\nadd #2', 1],
      ['ld #1\nsub #2', 0xffffffff],
      ['ld #0x10000\nmul #0x10000', 0],
      ['ld #0x12345678\nmul #0x10', 0x23456780],
      ['ld #100\ndiv #7', 14],
      ['ld #100\nmod #7', 2],
      ['ld #0xf0\nand #0x3c', 0x30],
      ['ld #0xf0\nor #0x0f', 0xff],
      ['ld #0xff\nxor #0x0f', 0xf0],
      ['ld #1\nlsh #31', 0x80000000],
      ['ld #0x80000000\nrsh #31', 1],
      ['ld #1\nneg', 0xffffffff],
      ['ld #1\nldx #33\nlsh x', 2],
      ['ld #0x80\nldx #36\nrsh x', 8],
      ['ld #7\nst M[4]\nld #0\nldx M[4]\ntxa', 7],
      ['ld #9\ntax\nld #1\nadd x', 10],
      ['ld #5\nldx #3\nld #xor_x', 6],
    ].map(([text, a]) => [(text as string).replaceAll('\n', '; '), text as string, a as number] as const),
  )('%s leaves A = %i', (_name, text, expected) => {
    expect(runText(`${text}\nret a`)).toBe(expected >>> 0);
  });

  it('compares unsigned', () => {
    expect(runText('ld #0xffffffff\njgt #1, yes, no\nyes: ret #1\nno: ret #2')).toBe(1);
    expect(runText('ld #3\njset #4, yes, no\nyes: ret #1\nno: ret #2')).toBe(2);
    expect(runText('ld #4\nldx #4\njge x, yes, no\nyes: ret #1\nno: ret #2')).toBe(1);
  });

  it.each([
    ['a load past the end', 'ld [7]\nret #1'],
    ['a half-word straddling the end', 'ldh [9]\nret #1'],
    ['an indirect load past the end', 'ldx #9\nldb [x + 1]\nret #1'],
    ['an indirect offset wrapping below zero', 'ldx #1\nldb [x + -2]\nret #1'],
    ['ldxb past the end', 'ldxb 4*([10]&0xf)\nret #1'],
    ['division by X = 0', 'ld #1\ndiv x\nret #1'],
    ['modulo by X = 0', 'ld #1\nmod x\nret #1'],
    ['SKF_NET_OFF without a network offset', 'ldb [-1048576]\nret #1'],
    ['SKF_LL_OFF without a link offset', 'ldb [-2097152]\nret #1'],
  ])('drops the packet on %s (the program returns 0)', (_name, text) => {
    expect(runText(text)).toBe(0);
  });

  it('reads relative to the network and link headers when told where they are', () => {
    expect(runText('ldb [-1048576]\nret a', packet, { networkOffset: 8 })).toBe(0x45);
    expect(runText('ldh [-2097150]\nret a', packet, { linkOffset: 0 })).toBe(0x0203);
    expect(runText('ldb [-1048574]\nret a', packet, { networkOffset: 8 })).toBe(0);
  });

  it('reads ancillary values from the options, whatever the load size', () => {
    const options = {
      protocol: 0x86dd,
      pktType: 4,
      ifIndex: 7,
      mark: 0xdeadbeef,
      queue: 3,
      hatype: 772,
      rxhash: 99,
      cpu: 2,
      vlanTag: 0x2005,
      vlanTpid: 0x88a8,
      payloadOffset: 54,
      random: 1234,
    };
    const read = (name: string) => runText(`ldb [${name}]\nret a`, packet, options);
    expect(read('proto')).toBe(0x86dd);
    expect(read('type')).toBe(4);
    expect(read('ifidx')).toBe(7);
    expect(read('mark')).toBe(0xdeadbeef);
    expect(read('queue')).toBe(3);
    expect(read('hatype')).toBe(772);
    expect(read('rxhash')).toBe(99);
    expect(read('cpu')).toBe(2);
    expect(read('vlan_tci')).toBe(0x2005);
    expect(read('vlanp')).toBe(1);
    expect(read('vlan_tpid')).toBe(0x88a8);
    expect(read('poff')).toBe(54);
    expect(read('random')).toBe(1234);
    expect(runText('ld #vlanp\nret a', packet, {})).toBe(0);
  });

  it('finds netlink attributes (SKF_AD_NLATTR, SKF_AD_NLATTR_NEST)', () => {
    // Two attributes from offset 0: type 1 (len 8), then a nest of type 2 holding type 5.
    const nl = Buffer.from([8, 0, 1, 0, 0, 0, 0, 0, 12, 0, 2, 0, 8, 0, 5, 0, 1, 2, 3, 4]);
    expect(runText('ld #0\nldx #2\nld #nla\nret a', nl)).toBe(8);
    expect(runText('ld #0\nldx #9\nld #nla\nadd #1\nret a', nl)).toBe(1);
    expect(runText('ld #8\nldx #5\nld #nlan\nret a', nl)).toBe(12);
  });

  it('returns what ret says; capturedLength is what a socket would get', () => {
    expect(runText('ret #0xffffffff')).toBe(0xffffffff);
    expect(capturedLength(assemble('ret #4'), packet)).toBe(4);
    expect(capturedLength(assemble('ret #400'), packet)).toBe(10);
    expect(matches(assemble('ret #0'), packet)).toBe(false);
  });

  it('validates first unless told not to', () => {
    expect(() => run(assemble('ld M[0]\nret a'), packet)).toThrow(BpfValidationError);
    expect(run(assemble('ld M[0]\nret a'), packet, { validate: false })).toBe(0);
    expect(run([{ code: opcodes.BPF_RET | opcodes.BPF_K, jt: 0, jf: 0, k: 5 }], packet)).toBe(5);
  });
});
