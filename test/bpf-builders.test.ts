// The builders generate the filters people write, for each framing a socket can have; here they
// run in the VM over crafted frames (and agree with libpcap where libpcap has the same filter).
import { describe, expect, it } from 'vitest';
import {
  all,
  and,
  arp,
  compile,
  etherType,
  type Filter,
  host,
  ipProtocol,
  ipv4,
  ipv6,
  type LinkFraming,
  net,
  none,
  not,
  opcodes,
  or,
  outgoing,
  type PacketContext,
  packetType,
  port,
  run,
  tcp,
  tcpPort,
  toProgram,
  udp,
  udplitePort,
  udpPort,
  validate,
  vlan,
} from '../lib/bpf/index.js';
import * as f from './helpers/bpf-frames.js';

const V4 = { src: '10.0.0.1', dst: '192.0.2.7' };
const V6 = { src: '2001:db8::1', dst: '2001:db8:1::5' };

/** The same packet as each framing shows it, with the context the kernel would give. */
function framed(type: number, network: number[], framing: LinkFraming, context: PacketContext = {}) {
  if (framing === 'cooked') return { data: Buffer.from(network), context: { protocol: type, ...context } };
  return { data: f.ethernet({ type }, network), context };
}

const packets = {
  udp53: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 17 }, f.udp(40000, 53))] as const,
  udpFrom53: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 17 }, f.udp(53, 40000))] as const,
  udp54: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 17 }, f.udp(40000, 54))] as const,
  tcp53: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 6 }, f.tcp(40000, 53))] as const,
  udpliteTo53: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 136 }, f.udp(40000, 53))] as const,
  udp53Options: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 17, options: 8 }, f.udp(40000, 53))] as const,
  udp53FirstFragment: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 17, moreFragments: true }, f.udp(1, 53))] as const,
  // A later fragment whose payload happens to look like a UDP header to port 53.
  udp53LaterFragment: () => [f.ETH_IPV4, f.ipv4({ ...V4, protocol: 17, fragmentOffset: 185 }, f.udp(1, 53))] as const,
  udp53v6: () => [f.ETH_IPV6, f.ipv6({ ...V6, nextHeader: 17 }, f.udp(40000, 53))] as const,
  udp53v6Fragment: () =>
    [f.ETH_IPV6, f.ipv6({ ...V6, nextHeader: 44 }, f.ipv6Fragment(17, 0, f.udp(40000, 53)))] as const,
  tcp53v6: () => [f.ETH_IPV6, f.ipv6({ ...V6, nextHeader: 6 }, f.tcp(40000, 53))] as const,
  arp: () => [0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...new Array<number>(20).fill(0)]] as const,
};
type PacketName = keyof typeof packets;

function verdicts(filter: Filter, framing: LinkFraming, names: PacketName[]): Record<string, boolean> {
  const program = toProgram(filter, { framing });
  validate(program);
  return Object.fromEntries(
    names.map((name) => {
      const [type, network] = packets[name]();
      const { data, context } = framed(type, [...network], framing);
      return [name, run(program, data, context) > 0];
    }),
  );
}

const all12 = Object.keys(packets) as PacketName[];

describe.each(['ethernet', 'cooked', 'loopback'] as const)('builders with %s framing', (framing) => {
  it('udpPort(53): either port, first fragments only, IPv6 only without extension headers', () => {
    expect(verdicts(udpPort(53), framing, all12)).toEqual({
      udp53: true,
      udpFrom53: true,
      udp54: false,
      tcp53: false,
      udpliteTo53: false,
      udp53Options: true,
      udp53FirstFragment: true,
      udp53LaterFragment: false,
      udp53v6: true,
      udp53v6Fragment: false,
      tcp53v6: false,
      arp: false,
    });
  });

  it('port(53, dst) covers TCP and UDP, udplitePort only UDP-Lite', () => {
    const dst = verdicts(port(53, { direction: 'dst' }), framing, [
      'udp53',
      'udpFrom53',
      'tcp53',
      'tcp53v6',
      'udpliteTo53',
    ]);
    expect(dst).toEqual({ udp53: true, udpFrom53: false, tcp53: true, tcp53v6: true, udpliteTo53: false });
    expect(verdicts(udplitePort(53), framing, ['udp53', 'udpliteTo53'])).toEqual({ udp53: false, udpliteTo53: true });
    expect(verdicts(tcpPort([50, 60], 'dst'), framing, ['tcp53', 'udp53', 'tcp53v6'])).toEqual({
      tcp53: true,
      udp53: false,
      tcp53v6: true,
    });
    expect(verdicts(tcpPort([54, 60]), framing, ['tcp53'])).toEqual({ tcp53: false });
  });

  it('protocol and EtherType filters, IPv6 protocols also behind a fragment header', () => {
    expect(verdicts(udp(), framing, ['udp53', 'udp53v6Fragment', 'tcp53', 'arp'])).toEqual({
      udp53: true,
      udp53v6Fragment: true,
      tcp53: false,
      arp: false,
    });
    expect(verdicts(ipProtocol('udp', { family: 6 }), framing, ['udp53', 'udp53v6'])).toEqual({
      udp53: false,
      udp53v6: true,
    });
    expect(verdicts(tcp(), framing, ['tcp53v6', 'udp53v6'])).toEqual({ tcp53v6: true, udp53v6: false });
    expect(verdicts(arp(), framing, ['arp', 'udp53'])).toEqual({ arp: true, udp53: false });
    expect(verdicts(ipv6(), framing, ['udp53v6', 'udp53'])).toEqual({ udp53v6: true, udp53: false });
    expect(verdicts(etherType(0x0800), framing, ['udp53', 'arp'])).toEqual({ udp53: true, arp: false });
  });

  it('host and net by direction, IPv4 and IPv6', () => {
    const names: PacketName[] = ['udp53', 'udp53v6', 'arp'];
    expect(verdicts(host('10.0.0.1'), framing, names)).toEqual({ udp53: true, udp53v6: false, arp: false });
    expect(verdicts(host('10.0.0.1', 'dst'), framing, names)).toEqual({ udp53: false, udp53v6: false, arp: false });
    expect(verdicts(host('192.0.2.7', 'dst'), framing, names)).toEqual({ udp53: true, udp53v6: false, arp: false });
    expect(verdicts(net('192.0.2.0/24', 'src'), framing, names)).toEqual({ udp53: false, udp53v6: false, arp: false });
    expect(verdicts(net('10.255.255.255/8'), framing, names)).toEqual({ udp53: true, udp53v6: false, arp: false });
    expect(verdicts(host('2001:db8:1::5'), framing, names)).toEqual({ udp53: false, udp53v6: true, arp: false });
    expect(verdicts(net('2001:db8::/33', 'src'), framing, names)).toEqual({ udp53: false, udp53v6: true, arp: false });
    expect(verdicts(net('2001:db8:0:8000::/49', 'src'), framing, names)).toEqual({
      udp53: false,
      udp53v6: false,
      arp: false,
    });
    expect(verdicts(net('0.0.0.0/0'), framing, names)).toEqual({ udp53: true, udp53v6: false, arp: false });
  });

  it('combinators', () => {
    const names: PacketName[] = ['udp53', 'tcp53', 'arp'];
    expect(verdicts(or(arp(), tcpPort(53)), framing, names)).toEqual({ udp53: false, tcp53: true, arp: true });
    expect(verdicts(and(ipv4(), not(udp())), framing, names)).toEqual({ udp53: false, tcp53: true, arp: false });
    expect(verdicts(not(or(udp(), tcp())), framing, names)).toEqual({ udp53: false, tcp53: false, arp: true });
    expect(verdicts(and(), framing, names)).toEqual({ udp53: true, tcp53: true, arp: true });
    expect(verdicts(or(none(), and(all(), arp())), framing, names)).toEqual({ udp53: false, tcp53: false, arp: true });
    expect(toProgram(none(), { framing })).toEqual([{ code: 6, jt: 0, jf: 0, k: 0 }]);
  });

  it('packet types through SKF_AD_PKTTYPE', () => {
    const [type, network] = packets.udp53();
    const { data, context } = framed(type, [...network], framing);
    const program = toProgram(not(outgoing()), { framing });
    expect(run(program, data, { ...context, pktType: opcodes.PACKET_OUTGOING })).toBe(0);
    expect(run(program, data, { ...context, pktType: opcodes.PACKET_HOST })).toBe(262144);
    expect(run(toProgram(packetType(2), { framing }), data, { ...context, pktType: 2 })).toBe(262144);
  });
});

describe('vlan', () => {
  const inner = f.ipv4({ ...V4, protocol: 17 }, f.udp(40000, 53));
  const inBand = f.ethernet({ type: f.ETH_IPV4, vlans: [{ tci: 0x2005 }] }, inner);
  const inBandQinQ = f.ethernet({ type: f.ETH_IPV4, vlans: [{ tci: 7, tpid: 0x88a8 }, { tci: 5 }] }, inner);
  const untagged = f.ethernet({ type: f.ETH_IPV4 }, inner);
  const stripped = { vlanTag: 0x2005, vlanTpid: 0x8100, protocol: 0x0800 };

  it.each([
    ['any tag, in the frame', vlan(), inBand, {}, true],
    ['any tag, held by the kernel', vlan(), untagged, stripped, true],
    ['untagged', vlan(), untagged, {}, false],
    ['id 5 in the frame (priority bits ignored)', vlan(5), inBand, {}, true],
    ['id 5 held by the kernel', vlan(5), untagged, stripped, true],
    ['id 6', vlan(6), inBand, {}, false],
    ['id 6 held by the kernel', vlan(6), untagged, stripped, false],
    ['inner udp port 53 after an in-frame tag', vlan(5, udpPort(53)), inBand, {}, true],
    ['inner udp port 53 after a held tag', vlan(5, udpPort(53)), untagged, stripped, true],
    ['inner udp port 54', vlan(5, udpPort(54)), inBand, {}, false],
    ['a plain udp port filter misses the tagged frame', udpPort(53), inBand, {}, false],
    ['QinQ in the frame', vlan(7, vlan(5, udpPort(53))), inBandQinQ, {}, true],
    ['QinQ with the outer tag held by the kernel', vlan(7, vlan(5, udpPort(53))), inBand, { vlanTag: 7 }, true],
    ['QinQ wrong inner id', vlan(7, vlan(6)), inBandQinQ, {}, false],
  ] as const)('%s', (_name, filter, frame, context, expected) => {
    expect(run(toProgram(filter), frame, context) > 0).toBe(expected);
  });

  it('with cooked framing sees only the tag the kernel holds', () => {
    const program = toProgram(vlan(5, udpPort(53)), { framing: 'cooked' });
    expect(run(program, Buffer.from(inner), { ...stripped })).toBe(262144);
    expect(run(program, Buffer.from(inner), { protocol: 0x0800 })).toBe(0);
  });
});

describe('builders agree with libpcap', () => {
  const frames = [
    ...Object.values(packets).map((p) => {
      const [type, network] = p();
      return f.ethernet({ type }, [...network]);
    }),
    f.ethernet({ type: f.ETH_IPV4, vlans: [{ tci: 5 }] }, f.ipv4({ ...V4, protocol: 17 }, f.udp(40000, 53))),
    f.ethernet({ type: f.ETH_IPV4 }, f.ipv4({ ...V4, protocol: 6 }, f.tcp(1500, 22))),
    f.ethernet({ type: f.ETH_IPV4 }, f.ipv4({ ...V4, protocol: 17 }, f.udp(53, 53)).slice(0, 21)),
  ];
  it.each([
    [udpPort(53), 'udp port 53'],
    [port(53), 'port 53'],
    [tcpPort([1000, 2000], 'src'), 'tcp src portrange 1000-2000'],
    [host('10.0.0.1', 'src'), 'ip src host 10.0.0.1'],
    [net('192.0.2.0/24'), 'ip net 192.0.2.0/24'],
    [host('2001:db8::1'), 'ip6 host 2001:db8::1'],
    [net('2001:db8:1::/48', 'dst'), 'ip6 dst net 2001:db8:1::/48'],
    [udp(), 'udp'],
    [ipProtocol('tcp'), 'tcp'],
    [and(ipv4(), not(udp())), 'ip and not udp'],
    [vlan(5, udpPort(53)), 'vlan 5 and udp port 53'],
  ] as const)('%#: same verdicts as %s on in-band frames', (filter, expression) => {
    const ours = toProgram(filter);
    const theirs = compile(expression);
    for (const frame of frames) expect(run(ours, frame) > 0, frame.toString('hex')).toBe(run(theirs, frame) > 0);
  });

  it('loopback framing generates the Ethernet code', () => {
    expect(toProgram(udpPort(53), { framing: 'loopback' })).toEqual(toProgram(udpPort(53)));
  });
});

describe('argument checks', () => {
  it.each([
    () => host('10.0.0.256'),
    () => host('2001:db8:::1'),
    () => net('10.0.0.0/33'),
    () => net('10.0.0.0/x'),
    () => udpPort(65536),
    () => port([20, 10]),
    () => vlan(4096),
    () => etherType(-1),
    () => ipProtocol('nope' as 'tcp'),
    () => host('10.0.0.1', 'sideways' as 'src'),
    () => toProgram(udp(), { framing: 'token-ring' as 'cooked' }),
  ])('refuses a bad argument (%#)', (make) => {
    expect(make).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^ERR_(OUT_OF_RANGE|INVALID_ARG_VALUE)$/) }),
    );
  });

  it('parses IPv6 forms', () => {
    const frame = f.ethernet(
      { type: f.ETH_IPV6 },
      f.ipv6({ src: '::ffff:c000:207', dst: '2001:db8::1', nextHeader: 17 }, f.udp(1, 2)),
    );
    expect(run(toProgram(host('::ffff:192.0.2.7')), frame)).toBe(262144);
    expect(run(toProgram(host('0:0:0:0:0:ffff:c000:207', 'src')), frame)).toBe(262144);
    expect(run(toProgram(host('2001:db8:0:0:0:0:0:1', 'dst')), frame)).toBe(262144);
  });

  it('says when a filter is too large for 8-bit jumps', () => {
    const many = or(...Array.from({ length: 200 }, (_, i) => host(`10.0.${i}.1`)));
    expect(() => toProgram(many)).toThrow(/too large/);
  });
});
