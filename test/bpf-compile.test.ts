// compile() runs the system's libpcap: its output is what tcpdump -dd prints for the same
// expression, link type and snap length. parseTcpdump() reads -dd and -ddd output.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  compile,
  formatTcpdumpC,
  formatTcpdumpDecimal,
  parseTcpdump,
  TcpdumpParseError,
  validate,
} from '../lib/bpf/index.js';

function tcpdump(flag: '-dd' | '-ddd', expression: string, linkType = 'EN10MB', snaplen?: number): string {
  const args = ['-y', linkType, flag];
  if (snaplen !== undefined) args.push('-s', String(snaplen));
  return execFileSync('tcpdump', [...args, expression], { encoding: 'utf8' });
}

const expressions = [
  'ip',
  'ip6',
  'arp',
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'ip proto 136',
  'ip6 proto 136',
  'udp port 53',
  'tcp port 80 or tcp port 443',
  'tcp dst port 22',
  'udp src port 123',
  'portrange 1000-2000',
  'host 192.0.2.1',
  'src host 10.0.0.1 and dst host 10.0.0.2',
  'net 10.0.0.0/8',
  'dst net 192.168.0.0/16',
  'ip6 host 2001:db8::1',
  'ip6 net 2001:db8::/32',
  'ether host 02:00:00:00:00:01',
  'ether broadcast',
  'ether multicast',
  'ether proto 0x88cc',
  'vlan',
  'vlan 100',
  'vlan and ip',
  'mpls',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'icmp[icmptype] = icmp-echoreply',
  'ip[6:2] & 0x1fff = 0',
  'greater 1000',
  'less 64',
  'not port 22 and not arp',
  'ip and udp and (udp[8:4] = 0xdeadbeef or udp[2:2] > 1024)',
  'ip multicast',
  'ip6 multicast',
  'len >= 100 and ip[0] & 0xf > 5',
];

describe('compile', () => {
  it.each(expressions)('compiles %s like tcpdump -dd', (expression) => {
    const program = compile(expression);
    expect(program).toEqual(parseTcpdump(tcpdump('-dd', expression)));
    expect(formatTcpdumpC(program)).toBe(tcpdump('-dd', expression));
    expect(() => validate(program)).not.toThrow();
  });

  it('takes the link type and snap length into account', () => {
    expect(compile('udp port 53', { linkType: 'raw', snaplen: 96 })).toEqual(
      parseTcpdump(tcpdump('-dd', 'udp port 53', 'RAW', 96)),
    );
    expect(compile('ip', { linkType: 113 })).toEqual(parseTcpdump(tcpdump('-dd', 'ip', 'LINUX_SLL')));
    expect(compile('ip', { snaplen: 100 }).at(-2)).toEqual({ code: 6, jt: 0, jf: 0, k: 100 });
  });

  it('can leave libpcap optimiser off', () => {
    const optimized = compile('ip and ip');
    const plain = compile('ip and ip', { optimize: false });
    expect(plain.length).toBeGreaterThan(optimized.length);
    const unoptimized = execFileSync('tcpdump', ['-O', '-y', 'EN10MB', '-dd', 'ip and ip'], { encoding: 'utf8' });
    expect(plain).toEqual(parseTcpdump(unoptimized));
  });

  it('uses the netmask for ip broadcast', () => {
    expect(() => compile('ip broadcast')).toThrow(/netmask/);
    const program = compile('ip broadcast', { netmask: '255.255.255.0' });
    expect(program).toEqual(compile('ip broadcast', { netmask: 0xffffff00 }));
    expect(program.some((insn) => insn.k === 0xff)).toBe(true);
  });

  it('reports libpcap errors with code ERR_PCAP_COMPILE', () => {
    expect(() => compile('tcp port')).toThrow(
      expect.objectContaining({ code: 'ERR_PCAP_COMPILE', message: expect.stringMatching(/syntax error/) }),
    );
    expect(() => compile('host nosuchhost.invalid')).toThrow(expect.objectContaining({ code: 'ERR_PCAP_COMPILE' }));
    expect(() => compile('ip', { linkType: 0x7ffffff0 })).toThrow(
      expect.objectContaining({ code: 'ERR_PCAP_COMPILE' }),
    );
  });

  it('says how to install libpcap when it cannot be loaded', () => {
    expect(() => compile('ip', { libpcap: ['libpcap-missing.so.9', '/nonexistent/libpcap.so'] })).toThrow(
      expect.objectContaining({
        code: 'ERR_LIBPCAP_MISSING',
        message: expect.stringMatching(/libpcap0\.8.*Fedora.*libpcap[\s\S]*libpcap-missing\.so\.9/),
      }),
    );
    expect(compile('ip', { libpcap: 'libpcap.so.0.8' })).toEqual(compile('ip'));
  });

  it('checks its arguments', () => {
    expect(() => compile('ip', { snaplen: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => compile('ip', { netmask: '255.255.0' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => compile('ip', { linkType: 'token-ring' as 'raw' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => compile('ip\0 or arp')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('parseTcpdump', () => {
  it('reads -dd and -ddd output of the same program alike', () => {
    const expression = 'tcp port 80 and host 192.0.2.1';
    const fromC = parseTcpdump(tcpdump('-dd', expression));
    const fromDecimal = parseTcpdump(tcpdump('-ddd', expression));
    expect(fromDecimal).toEqual(fromC);
    expect(formatTcpdumpDecimal(fromC)).toBe(tcpdump('-ddd', expression));
  });

  it('reads the one-line comma form of -ddd', () => {
    expect(parseTcpdump('4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0')).toEqual(compile('ip'));
  });

  it.each([
    ['', 1, 'no instructions'],
    ['3\n6 0 0 0\n', 1, 'the count says 3'],
    ['1\n6 0 0\n', 2, 'code jt jf k'],
    ['{ 0x6, 0, 0, 0 },\n{ 0x6, 0, 0 },\n', 2, '{ code, jt, jf, k }'],
    ['{ 0x10000, 0, 0, 0 },', 1, 'code 0x10000 is out of range'],
    ['1\n6 256 0 0', 2, 'jt 256 is out of range'],
    ['(000) ret #0', 1, 'expected tcpdump -dd or -ddd output'],
  ])('names the line of bad input %#', (text, line, message) => {
    expect(() => parseTcpdump(text)).toThrow(TcpdumpParseError);
    expect(() => parseTcpdump(text)).toThrow(expect.objectContaining({ line, code: 'ERR_BPF_TCPDUMP_PARSE' }));
    expect(() => parseTcpdump(text)).toThrow(message);
  });
});
