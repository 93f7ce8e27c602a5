// Packet decoders, checksums and encoders.
//
// The decoders are checked against tshark on traffic the kernel really sent (captured with
// dumpcap inside a fresh network namespace), against the kernel itself (it silently drops UDP-Lite
// datagrams whose checksum is wrong), on hand-made truncated and corrupted headers, and with
// fast-check on random and mutated bytes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SocketAddress } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEthernetFrame,
  buildIPv4Packet,
  buildIPv6Packet,
  buildUdpDatagram,
  buildUdpLiteDatagram,
  type DecodedPacket,
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
  formatIPv6,
  internetChecksum,
  type PacketLinkType,
  parseIPv6,
  transportChecksum,
  verifyTransportChecksum,
} from '../lib/decode/index.js';
import { readPcap } from '../lib/pcap/index.js';
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

// ---------------------------------------------------------------------------------------------
// Real traffic: what the kernel sends in a fresh namespace, captured by dumpcap.

/** Sends every kind of packet the decoders handle; writes what the receivers got to result.json. */
const TRAFFIC_PY = String.raw`
import json, socket, struct, sys, time
D = sys.argv[1]
IPPROTO_UDPLITE = 136
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s > 0xffff: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
# Plain UDP to a listening port and to a closed one (the kernel answers ICMP port unreachable).
r4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r4.bind(('127.0.0.1', 9999))
r6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); r6.bind(('::1', 9999))
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.sendto(b'udp over ipv4', ('127.0.0.1', 9999)); u4.sendto(b'closed', ('127.0.0.1', 9998))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.sendto(b'udp over ipv6', ('::1', 9999)); u6.sendto(b'closed', ('::1', 9998))
# UDP-Lite: default (full) coverage, partial coverage 12, explicit coverage 0.
received = 0
for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    rl = socket.socket(family, socket.SOCK_DGRAM, IPPROTO_UDPLITE); rl.bind((host, 9997)); rl.settimeout(1)
    l = socket.socket(family, socket.SOCK_DGRAM, IPPROTO_UDPLITE)
    l.sendto(b'full coverage by default', (host, 9997))
    l.setsockopt(IPPROTO_UDPLITE, 10, 12)
    l.sendto(b'partial coverage: only 12 bytes', (host, 9997))
    l.setsockopt(IPPROTO_UDPLITE, 10, 0)
    l.sendto(b'coverage zero', (host, 9997))
    for _ in range(3):
        rl.recv(100); received += 1
# TCP over both families: handshake, data both ways, close.
for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    srv = socket.socket(family, socket.SOCK_STREAM); srv.bind((host, 8000)); srv.listen()
    c = socket.create_connection((host, 8000)); a, _ = srv.accept()
    c.sendall(b'hello over tcp'); a.recv(100); a.sendall(b'reply'); c.recv(100)
    c.close(); a.close(); srv.close()
# ICMP and ICMPv6 echo through raw sockets (root in the namespace); the kernel replies.
i4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
body = struct.pack('!BBHHH', 8, 0, 0, 0x1234, 1) + b'ping'
i4.sendto(body[:2] + struct.pack('!H', csum(body)) + body[4:], ('127.0.0.1', 0))
i6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
i6.sendto(struct.pack('!BBHHH', 128, 0, 0, 0x4321, 2) + b'ping6', ('::1', 0))
# IPv4 record-route option; IPv6 hop-by-hop (router alert) and destination options headers.
o4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
o4.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([7, 7, 4, 0, 0, 0, 0, 0]))
o4.sendto(b'with record route', ('127.0.0.1', 9999))
o6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
o6.setsockopt(socket.IPPROTO_IPV6, 54, bytes([0, 0, 5, 2, 0, 0, 1, 0]))
o6.setsockopt(socket.IPPROTO_IPV6, 59, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
o6.sendto(b'with extension headers', ('::1', 9999))
# Fragments: lo's MTU is 1500 here; IP_MTU_DISCOVER = IP_PMTUDISC_DONT lets IPv4 fragment.
f4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f4.setsockopt(socket.IPPROTO_IP, 10, 0)
f4.sendto(bytes(range(256)) * 12, ('127.0.0.1', 9999))
f6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
f6.sendto(bytes(range(256)) * 12, ('::1', 9999))
# VLAN-tagged frames (802.1Q; 802.1ad outer + 802.1Q inner) through a packet socket on a veth.
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); p.bind(('va', 0))
def ipv4_udp(payload):
    udp = struct.pack('!HHHH', 4000, 4001, 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 7, 0x4000, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:] + udp
macs = bytes.fromhex('020000000002020000000001')
p.send(macs + struct.pack('!HHH', 0x8100, (5 << 13) | 10, 0x0800) + ipv4_udp(b'single tag'))
p.send(macs + struct.pack('!HHHHH', 0x88a8, 100, 0x8100, (3 << 13) | 0x1000 | 20, 0x0800) + ipv4_udp(b'two tags'))
time.sleep(0.2)
json.dump({'udpliteReceived': received}, open(D + '/result.json', 'w'))
`;

/** Starts dumpcap on lo, on a veth and on "any" (Linux cooked), runs the traffic, stops them. */
const CAPTURE_SH = `
set -e
D=$1
ip link set lo mtu 1500
ip link add va type veth peer name vb
ip link set va up
ip link set vb up
dumpcap -q -P -i lo -w $D/lo.pcap 2>$D/lo.err & P1=$!
dumpcap -q -P -i va -w $D/vlan.pcap 2>$D/va.err & P2=$!
dumpcap -q -P -i any -y LINUX_SLL -w $D/any.pcap 2>$D/any.err & P3=$!
for f in lo va any; do n=0; until grep -q Capturing $D/$f.err; do n=$((n+1)); [ $n -lt 200 ] || exit 1; sleep 0.05; done; done
python3 $D/traffic.py $D
sleep 0.2
kill -INT $P1 $P2 $P3
wait $P1 $P2 $P3
`;

/** tshark without reassembly, with checksum verification, raw sequence numbers. */
const TSHARK_OPTIONS = [
  '-o',
  'ip.defragment:FALSE',
  '-o',
  'ipv6.defragment:FALSE',
  '-o',
  'ip.check_checksum:TRUE',
  '-o',
  'udp.check_checksum:TRUE',
  '-o',
  'tcp.check_checksum:TRUE',
  '-o',
  'tcp.relative_sequence_numbers:FALSE',
];

/** Runs tshark on a file and returns one record per frame: field name → text ('' when absent). */
async function tsharkFields(file: string, fields: string[], occurrence: 'f' | 'a'): Promise<Record<string, string>[]> {
  const args = ['-r', file, ...TSHARK_OPTIONS, '-T', 'fields', '-E', `occurrence=${occurrence}`, '-E', 'aggregator=,'];
  for (const field of fields) args.push('-e', field);
  const result = await run('tshark', args);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(fields.map((field, i) => [field, values[i] ?? '']));
    });
}

type Value = string | number | boolean | undefined;

/** The value my decode gives for each tshark field, in tshark's terms. */
const FIELDS: Record<string, (p: DecodedPacket) => Value> = {
  'eth.src': (p) => (p.link?.layer === 'ethernet' ? p.link.source : undefined),
  'eth.dst': (p) => (p.link?.layer === 'ethernet' ? p.link.destination : undefined),
  // The type field at offset 12: the first TPID of a tagged frame.
  'eth.type': (p) => (p.link?.layer === 'ethernet' ? (p.vlans[0]?.tpid ?? p.etherType) : undefined),
  'sll.pkttype': (p) => (p.link?.layer === 'linux-sll' ? p.link.packetType : undefined),
  'sll.hatype': (p) => (p.link?.layer === 'linux-sll' ? p.link.hardwareType : undefined),
  'sll.halen': (p) => (p.link?.layer === 'linux-sll' ? p.link.addressLength : undefined),
  'sll.src.eth': (p) => (p.link?.layer === 'linux-sll' && p.link.addressLength === 6 ? p.link.addressText : undefined),
  'sll.etype': (p) => (p.link?.layer === 'linux-sll' ? p.link.protocol : undefined),
  'ip.src': (p) => (p.network?.layer === 'ipv4' ? p.network.source : undefined),
  'ip.dst': (p) => (p.network?.layer === 'ipv4' ? p.network.destination : undefined),
  'ip.proto': (p) => (p.network?.layer === 'ipv4' ? p.network.protocol : undefined),
  'ip.ttl': (p) => (p.network?.layer === 'ipv4' ? p.network.ttl : undefined),
  'ip.id': (p) => (p.network?.layer === 'ipv4' ? p.network.identification : undefined),
  'ip.hdr_len': (p) => (p.network?.layer === 'ipv4' ? p.network.headerLength : undefined),
  'ip.len': (p) => (p.network?.layer === 'ipv4' ? p.network.totalLength : undefined),
  'ip.flags.df': (p) => (p.network?.layer === 'ipv4' ? p.network.dontFragment : undefined),
  'ip.flags.mf': (p) => (p.network?.layer === 'ipv4' ? p.network.moreFragments : undefined),
  // tshark shows the field in 8-byte units.
  'ip.frag_offset': (p) => (p.network?.layer === 'ipv4' ? p.network.fragmentOffset / 8 : undefined),
  'ip.checksum.status': (p) => (p.network?.layer === 'ipv4' ? p.network.checksumValid : undefined),
  'ipv6.src': (p) => (p.network?.layer === 'ipv6' ? p.network.source : undefined),
  'ipv6.dst': (p) => (p.network?.layer === 'ipv6' ? p.network.destination : undefined),
  'ipv6.nxt': (p) => (p.network?.layer === 'ipv6' ? p.network.nextHeader : undefined),
  'ipv6.plen': (p) => (p.network?.layer === 'ipv6' ? p.network.payloadLength : undefined),
  'ipv6.hlim': (p) => (p.network?.layer === 'ipv6' ? p.network.hopLimit : undefined),
  'ipv6.tclass': (p) => (p.network?.layer === 'ipv6' ? p.network.trafficClass : undefined),
  'ipv6.flow': (p) => (p.network?.layer === 'ipv6' ? p.network.flowLabel : undefined),
  'ipv6.fraghdr.offset': (p) =>
    p.network?.layer === 'ipv6' && p.network.fragment ? p.network.fragment.offset / 8 : undefined,
  'ipv6.fraghdr.more': (p) => (p.network?.layer === 'ipv6' ? p.network.fragment?.moreFragments : undefined),
  'ipv6.fraghdr.ident': (p) => (p.network?.layer === 'ipv6' ? p.network.fragment?.identification : undefined),
  'udp.srcport': (p) => (udpLike(p) ? udpLike(p)?.sourcePort : undefined),
  'udp.dstport': (p) => udpLike(p)?.destinationPort,
  // tshark's udp.length of a UDP-Lite datagram is the datagram length, not the coverage field.
  'udp.length': (p) =>
    p.transport?.layer === 'udp'
      ? p.transport.length
      : p.transport?.layer === 'udplite' && !p.transport.truncated
        ? p.transport.payload.length + 8
        : undefined,
  'udp.checksum': (p) => udpLike(p)?.checksum,
  'udp.checksum_coverage': (p) => (p.transport?.layer === 'udplite' ? p.transport.coverage : undefined),
  'tcp.srcport': (p) => (p.transport?.layer === 'tcp' ? p.transport.sourcePort : undefined),
  'tcp.dstport': (p) => (p.transport?.layer === 'tcp' ? p.transport.destinationPort : undefined),
  'tcp.seq_raw': (p) => (p.transport?.layer === 'tcp' ? p.transport.sequence : undefined),
  'tcp.ack_raw': (p) => (p.transport?.layer === 'tcp' ? p.transport.acknowledgment : undefined),
  'tcp.hdr_len': (p) => (p.transport?.layer === 'tcp' ? p.transport.headerLength : undefined),
  'tcp.flags': (p) => (p.transport?.layer === 'tcp' ? p.transport.flagBits : undefined),
  'tcp.window_size_value': (p) => (p.transport?.layer === 'tcp' ? p.transport.window : undefined),
  'tcp.len': (p) => (p.transport?.layer === 'tcp' ? p.transport.payload.length : undefined),
  'tcp.checksum.status': (p) => (p.transport?.layer === 'tcp' ? p.transport.checksumValid : undefined),
  'icmp.type': (p) => (p.transport?.layer === 'icmp' ? p.transport.type : undefined),
  'icmp.code': (p) => (p.transport?.layer === 'icmp' ? p.transport.code : undefined),
  'icmp.seq': (p) => (p.transport?.layer === 'icmp' ? p.transport.echo?.sequence : undefined),
  'icmp.checksum.status': (p) => (p.transport?.layer === 'icmp' ? p.transport.checksumValid : undefined),
  'icmpv6.type': (p) => (p.transport?.layer === 'icmpv6' ? p.transport.type : undefined),
  'icmpv6.code': (p) => (p.transport?.layer === 'icmpv6' ? p.transport.code : undefined),
  'icmpv6.echo.sequence_number': (p) => (p.transport?.layer === 'icmpv6' ? p.transport.echo?.sequence : undefined),
  'icmpv6.checksum.status': (p) => (p.transport?.layer === 'icmpv6' ? p.transport.checksumValid : undefined),
};

/** Fields with every occurrence (tags, options). */
const LIST_FIELDS: Record<string, (p: DecodedPacket) => string> = {
  'vlan.id': (p) => tags(p, 0x8100, (t) => t.id),
  'vlan.priority': (p) => tags(p, 0x8100, (t) => t.priority),
  'vlan.dei': (p) => tags(p, 0x8100, (t) => Number(t.dropEligible)),
  'ieee8021ad.id': (p) => tags(p, 0x88a8, (t) => t.id),
  'ieee8021ad.priority': (p) => tags(p, 0x88a8, (t) => t.priority),
  // tshark lists EOL and NOP too; the decoder leaves them out.
  'ip.opt.type': (p) => (p.network?.layer === 'ipv4' ? p.network.options.map((o) => o.type).join(',') : ''),
};

function udpLike(p: DecodedPacket) {
  return p.transport?.layer === 'udp' || p.transport?.layer === 'udplite' ? p.transport : undefined;
}

function tags(p: DecodedPacket, tpid: number, pick: (t: DecodedPacket['vlans'][number]) => number): string {
  return p.vlans
    .filter((t) => t.tpid === tpid)
    .map(pick)
    .join(',');
}

/** tshark's text as the decoder's value type: checksum status 1 good, 0 bad, 2 unverified. */
function normalise(field: string, text: string, mine: Value): Value {
  if (field.endsWith('checksum.status')) return text === '' ? undefined : text === '2' ? undefined : text === '1';
  if (text === '') return undefined;
  if (typeof mine === 'boolean') return text === '1' || text === 'True';
  if (typeof mine === 'number') return Number(text);
  return text;
}

interface Capture {
  file: string;
  linkType: PacketLinkType;
  packets: DecodedPacket[];
}

let dir: string;
const captures: Record<'lo' | 'vlan' | 'any', Capture> = {} as never;
let udpliteReceived = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rawsock-decode-'));
  writeFileSync(join(dir, 'traffic.py'), TRAFFIC_PY);
  writeFileSync(join(dir, 'capture.sh'), CAPTURE_SH);
  const result = await runInFreshNetns('sh', [join(dir, 'capture.sh'), dir]);
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  udpliteReceived = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).udpliteReceived;
  const linkTypes = { lo: 'ethernet', vlan: 'ethernet', any: 'linux-sll' } as const;
  for (const name of ['lo', 'vlan', 'any'] as const) {
    const file = join(dir, `${name}.pcap`);
    const pcap = readPcap(readFileSync(file));
    expect(pcap.linkType).toBe(name === 'any' ? 113 : 1);
    captures[name] = {
      file,
      linkType: linkTypes[name],
      packets: pcap.packets.map((r) => decodePacket(r.data, { linkType: linkTypes[name] })),
    };
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('decoders agree with tshark on real traffic', () => {
  it.each(['lo', 'vlan', 'any'] as const)('every field of every frame captured on %s', async (name) => {
    const capture = captures[name];
    const fields = Object.keys(FIELDS);
    const rows = await tsharkFields(capture.file, fields, 'f');
    const lists = await tsharkFields(capture.file, [...Object.keys(LIST_FIELDS), '_ws.expert.message'], 'a');
    expect(rows.length).toBe(capture.packets.length);
    expect(capture.packets.length).toBeGreaterThan(0);
    const mismatches: string[] = [];
    capture.packets.forEach((packet, i) => {
      if (!packet.ok) {
        // Only where tshark finds the same fault: libpcap's "any" device rebuilds 802.1ad
        // double tags into a bogus cooked frame (an IPv4 EtherType before the inner tag).
        const expert = lists[i]?.['_ws.expert.message'] ?? '';
        if (!(packet.error.layer === 'ipv4' && /Bogus IPv4 version/.test(expert))) {
          mismatches.push(`frame ${i + 1}: ${packet.error.message}; tshark: ${expert || 'no complaint'}`);
        }
      }
      const insideIcmp = packet.transport?.layer === 'icmp' || packet.transport?.layer === 'icmpv6';
      for (const field of fields) {
        // ICMP errors quote the offending packet; tshark decodes its UDP/TCP header, the decoder
        // leaves it as ICMP payload.
        if (insideIcmp && /^(udp|tcp)\./.test(field)) continue;
        // tshark does not verify UDP-Lite checksums; the kernel does (see the UDP-Lite test).
        if (field === 'udp.checksum.status' && packet.transport?.layer === 'udplite') continue;
        const mine = FIELDS[field]?.(packet);
        const theirs = normalise(field, rows[i]?.[field] ?? '', mine);
        if (field === 'udp.checksum.status') {
          const udp = packet.transport?.layer === 'udp' ? packet.transport : undefined;
          if (udp?.checksumValid !== theirs)
            mismatches.push(`frame ${i + 1} ${field}: ${udp?.checksumValid} ≠ ${theirs}`);
          continue;
        }
        if (mine !== theirs) mismatches.push(`frame ${i + 1} ${field}: ${mine} ≠ ${theirs}`);
      }
      for (const [field, pick] of Object.entries(LIST_FIELDS)) {
        let theirs = lists[i]?.[field] ?? '';
        if (field === 'ip.opt.type') {
          theirs = theirs
            .split(',')
            .filter((t) => t !== '' && t !== '0' && t !== '1')
            .join(',');
        }
        if (pick(packet) !== theirs) mismatches.push(`frame ${i + 1} ${field}: ${pick(packet)} ≠ ${theirs}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('the capture holds every kind of packet the test means to compare', () => {
    const lo = captures.lo.packets;
    const has = (predicate: (p: DecodedPacket) => boolean) => lo.filter(predicate).length;
    expect(has((p) => p.network?.layer === 'ipv4' && p.transport?.layer === 'udp')).toBeGreaterThan(0);
    expect(has((p) => p.network?.layer === 'ipv6' && p.transport?.layer === 'udp')).toBeGreaterThan(0);
    expect(has((p) => p.transport?.layer === 'udplite')).toBe(6);
    expect(has((p) => p.network?.layer === 'ipv4' && p.transport?.layer === 'tcp')).toBeGreaterThanOrEqual(8);
    expect(has((p) => p.network?.layer === 'ipv6' && p.transport?.layer === 'tcp')).toBeGreaterThanOrEqual(8);
    expect(has((p) => p.transport?.layer === 'icmp' && p.transport.type === 3)).toBe(1);
    expect(has((p) => p.transport?.layer === 'icmp' && p.transport.echo?.identifier === 0x1234)).toBe(2);
    expect(has((p) => p.transport?.layer === 'icmpv6' && p.transport.type === 1)).toBe(1);
    expect(has((p) => p.transport?.layer === 'icmpv6' && p.transport.echo?.identifier === 0x4321)).toBe(2);
    expect(has((p) => p.network?.layer === 'ipv4' && p.network.options.some((o) => o.type === 7))).toBe(1);
    expect(has((p) => p.network?.layer === 'ipv4' && p.network.isFragment)).toBe(3);
    expect(has((p) => p.network?.layer === 'ipv6' && p.network.isFragment)).toBe(3);
    // The veth also carries the kernel's own untagged IPv6 neighbour discovery.
    const vlanIds = captures.vlan.packets.filter((p) => p.vlans.length > 0).map((p) => p.vlans.map((t) => t.id));
    expect(vlanIds).toEqual([[10], [100, 20]]);
    expect(captures.any.packets.filter((p) => p.link?.layer === 'linux-sll' && p.vlans.length > 0).length).toBe(4);
  });

  it('walks IPv6 extension headers to the upper-layer protocol', () => {
    const packet = captures.lo.packets.find(
      (p) => p.network?.layer === 'ipv6' && p.network.extensionHeaders.some((h) => h.name === 'hop-by-hop'),
    );
    expect(packet?.network?.layer).toBe('ipv6');
    if (packet?.network?.layer !== 'ipv6') return;
    expect(packet.network.extensionHeaders.map((h) => h.name)).toEqual(['hop-by-hop', 'destination-options']);
    expect(packet.network.protocol).toBe(17);
    expect(packet.transport?.layer).toBe('udp');
    expect(packet.payload.toString()).toBe('with extension headers');
  });

  it('reassembles nothing but decodes the first fragment and marks its transport truncated', () => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const fragments = captures.lo.packets.filter((p) => p.network?.layer === family && p.network.isFragment);
      expect(fragments.map((p) => p.transport?.layer)).toEqual(['udp', undefined, undefined]);
      const first = fragments[0]?.transport;
      expect(first?.layer === 'udp' && first.truncated && first.length === 3080).toBe(true);
      // Fragment payloads add up to the datagram (3072 bytes + 8 header).
      expect(fragments.reduce((n, p) => n + (p.network?.payload.length ?? 0), 0)).toBe(3080);
    }
  });

  it('verifies the UDP-Lite checksums the kernel accepted, over their coverage', () => {
    expect(udpliteReceived).toBe(6);
    const lite = captures.lo.packets.flatMap((p) => (p.transport?.layer === 'udplite' ? [p.transport] : []));
    expect(lite.map((t) => [t.coverage, t.partialCoverage, t.checksumValid])).toEqual([
      [32, false, true],
      [12, true, true],
      [0, false, true],
      [32, false, true],
      [12, true, true],
      [0, false, true],
    ]);
  });

  it('decodes SOCK_DGRAM-style data with the EtherType given separately (cooked)', () => {
    // The "any" capture's SLL header carries what a SOCK_DGRAM packet socket's address has.
    const pcap = readPcap(readFileSync(captures.any.file));
    let compared = 0;
    for (const record of pcap.packets) {
      const sll = decodeLinuxSll(record.data);
      expect(sll.ok).toBe(true);
      if (!sll.ok) continue;
      const cooked = decodePacket(sll.payload, { linkType: 'cooked', protocol: sll.protocol });
      const whole = decodePacket(record.data, { linkType: 'linux-sll' });
      const { link: _link, ...rest } = whole;
      // Error offsets count from the start of what each call was given: 16 bytes apart.
      if (!rest.ok) rest.error = { ...rest.error, offset: rest.error.offset - 16 };
      expect(cooked).toEqual(rest);
      compared++;
    }
    expect(compared).toBe(pcap.packets.length);
  });
});

// ---------------------------------------------------------------------------------------------
// Encoders and checksums, checked by the kernel.

/** Sends raw UDP-Lite segments (hex on argv) through raw sockets; prints the payloads delivered. */
const UDPLITE_RECEIVER_PY = `
import json, socket, sys
out = []
for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    rx = socket.socket(family, socket.SOCK_DGRAM, 136); rx.bind((host, 5000)); rx.setblocking(False)
    tx = socket.socket(family, socket.SOCK_RAW, 136)
    for segment in json.loads(sys.argv[1])[host]:
        tx.sendto(bytes.fromhex(segment), (host, 0))
    import time; time.sleep(0.1)
    while True:
        try: out.append(rx.recv(2000).decode())
        except BlockingIOError: break
print(json.dumps(out))
`;

describe('encoders and checksums agree with the kernel', () => {
  it('the kernel accepts UDP-Lite datagrams built here and drops those with a covered byte changed', async () => {
    const segments: Record<string, string[]> = {};
    for (const host of ['127.0.0.1', '::1']) {
      const make = (payload: string, coverage?: number) =>
        buildUdpLiteDatagram({
          source: host,
          destination: host,
          sourcePort: 4242,
          destinationPort: 5000,
          payload: Buffer.from(payload),
          ...(coverage === undefined ? {} : { coverage }),
        });
      // Byte 20 is outside the 10 covered bytes, byte 9 inside; ^ 0x20 keeps the text ASCII.
      const outsideChanged = make(`${host} uncovered byte changed`, 10);
      outsideChanged[20] = (outsideChanged[20] ?? 0) ^ 0x20;
      const insideChanged = make(`${host} covered byte changed`, 10);
      insideChanged[9] = (insideChanged[9] ?? 0) ^ 0x20;
      segments[host] = [
        make(`${host} full`),
        make(`${host} zero`, 0),
        make(`${host} partial`, 8),
        make(`${host} odd partial coverage`, 13),
        outsideChanged,
        insideChanged,
      ].map((b) => b.toString('hex'));
    }
    const result = await runInFreshNetns('python3', ['-c', UDPLITE_RECEIVER_PY, JSON.stringify(segments)]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).sort()).toEqual(
      [
        '127.0.0.1 full',
        '127.0.0.1 zero',
        '127.0.0.1 partial',
        '127.0.0.1 odd partial coverage',
        '127.0.0.1 unCovered byte changed',
        '::1 full',
        '::1 zero',
        '::1 partial',
        '::1 odd partial coverage',
        '::1 uncovereD byte changed',
      ].sort(),
    );
  });

  it('built frames decode back to what was built, and tshark agrees', async () => {
    const udp = buildUdpDatagram({
      source: '192.0.2.1',
      destination: '198.51.100.7',
      sourcePort: 1234,
      destinationPort: 53,
      payload: Buffer.from('query'),
    });
    const ip = buildIPv4Packet({
      source: '192.0.2.1',
      destination: '198.51.100.7',
      protocol: 17,
      payload: udp,
      identification: 0xbeef,
      options: Buffer.from([148, 4, 0, 0]),
    });
    const frame = buildEthernetFrame({
      destination: 'ff:ff:ff:ff:ff:ff',
      source: '02:00:00:00:00:01',
      etherType: 0x0800,
      vlans: [
        { id: 300, tpid: 0x88a8 },
        { id: 7, priority: 6, dropEligible: true },
      ],
      payload: ip,
    });
    const packet = decodePacket(frame, { linkType: 'ethernet' });
    expect(packet.ok).toBe(true);
    expect(packet.vlans).toEqual([
      { tpid: 0x88a8, priority: 0, dropEligible: false, id: 300 },
      { tpid: 0x8100, priority: 6, dropEligible: true, id: 7 },
    ]);
    expect(packet.network).toMatchObject({ source: '192.0.2.1', identification: 0xbeef, checksumValid: true });
    expect(packet.network?.layer === 'ipv4' && packet.network.options).toEqual([
      { type: 148, data: Buffer.from([0, 0]) },
    ]);
    expect(packet.transport).toMatchObject({
      layer: 'udp',
      sourcePort: 1234,
      destinationPort: 53,
      checksumValid: true,
    });
    expect(packet.payload.toString()).toBe('query');

    const ip6 = buildIPv6Packet({
      source: '2001:db8::1',
      destination: '2001:db8::2',
      nextHeader: 136,
      flowLabel: 0x12345,
      payload: buildUdpLiteDatagram({
        source: '2001:db8::1',
        destination: '2001:db8::2',
        sourcePort: 1,
        destinationPort: 2,
        payload: Buffer.alloc(40, 1),
        coverage: 16,
      }),
    });
    const cooked = decodePacket(ip6, { linkType: 'cooked' });
    expect(cooked.etherType).toBe(0x86dd);
    expect(cooked.transport).toMatchObject({
      layer: 'udplite',
      coverage: 16,
      partialCoverage: true,
      checksumValid: true,
    });

    // tshark reads the built frame the same way (it verifies the IPv4 and UDP checksums).
    const { PcapWriter } = await import('../lib/pcap/index.js');
    const file = join(dir, 'built.pcap');
    const writer = await PcapWriter.open(file);
    writer.write({ data: frame, timestampNs: 1n });
    await writer.close();
    const [row] = await tsharkFields(
      file,
      ['ip.checksum.status', 'udp.checksum.status', 'vlan.id', 'ieee8021ad.id'],
      'f',
    );
    expect(row).toEqual({
      'ip.checksum.status': '1',
      'udp.checksum.status': '1',
      'vlan.id': '7',
      'ieee8021ad.id': '300',
    });
  });

  it.each([
    ['RFC 1071 example', [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], ~0xddf2 & 0xffff],
    ['empty', [], 0xffff],
    ['odd length pads with zero', [0xab], ~0xab00 & 0xffff],
    ['all ones', [0xff, 0xff], 0],
  ])('internetChecksum: %s', (_name, bytes, expected) => {
    expect(internetChecksum(Uint8Array.from(bytes))).toBe(expected);
  });

  it('transportChecksum ignores the stored checksum field and verifyTransportChecksum checks it', () => {
    const segment = buildUdpDatagram({
      source: '10.0.0.1',
      destination: '10.0.0.2',
      sourcePort: 7,
      destinationPort: 9,
      payload: Buffer.from('abc'),
    });
    const input = { source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, segment };
    expect(transportChecksum(input)).toBe(segment.readUInt16BE(6));
    expect(verifyTransportChecksum(input)).toBe(true);
    segment[8] = 0;
    expect(verifyTransportChecksum(input)).toBe(false);
    expect(() => transportChecksum({ ...input, destination: '::1' })).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Truncated and corrupted headers.

function ipv4Header(overrides: (b: Buffer) => void = () => {}): Buffer {
  const b = buildIPv4Packet({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, payload: Buffer.alloc(8) });
  overrides(b);
  return b;
}

const validIPv6 = buildIPv6Packet({ source: '::1', destination: '::2', nextHeader: 59, payload: Buffer.alloc(0) });

describe('bad headers give a typed error, never a throw', () => {
  const cases: [string, () => unknown, { layer: string; reason: string; offset: number }][] = [
    [
      'Ethernet shorter than 14 bytes',
      () => decodeEthernet(Buffer.alloc(13)),
      { layer: 'ethernet', reason: 'truncated', offset: 13 },
    ],
    [
      'VLAN tag cut off',
      () => decodeEthernet(Buffer.from('ffffffffffff02000000000181000001', 'hex')),
      { layer: 'vlan', reason: 'truncated', offset: 16 },
    ],
    [
      'nine stacked VLAN tags',
      () =>
        decodeEthernet(Buffer.concat([Buffer.alloc(12), Buffer.from('81000001'.repeat(9), 'hex'), Buffer.alloc(2)])),
      { layer: 'vlan', reason: 'malformed', offset: 44 },
    ],
    [
      'cooked VLAN tag cut off',
      () => decodeVlanTags(Buffer.alloc(3), 0x8100),
      { layer: 'vlan', reason: 'truncated', offset: 3 },
    ],
    [
      'SLL shorter than 16 bytes',
      () => decodeLinuxSll(Buffer.alloc(15)),
      { layer: 'linux-sll', reason: 'truncated', offset: 15 },
    ],
    [
      'SLL2 shorter than 20 bytes',
      () => decodeLinuxSll2(Buffer.alloc(19)),
      { layer: 'linux-sll2', reason: 'truncated', offset: 19 },
    ],
    [
      'IPv4 shorter than 20 bytes',
      () => decodeIPv4(ipv4Header().subarray(0, 19)),
      { layer: 'ipv4', reason: 'truncated', offset: 19 },
    ],
    [
      'IPv4 with version 6',
      () => decodeIPv4(ipv4Header((b) => (b[0] = 0x65))),
      { layer: 'ipv4', reason: 'malformed', offset: 0 },
    ],
    [
      'IPv4 IHL below 5',
      () => decodeIPv4(ipv4Header((b) => (b[0] = 0x44))),
      { layer: 'ipv4', reason: 'malformed', offset: 0 },
    ],
    [
      'IPv4 IHL past the data',
      () => decodeIPv4(ipv4Header((b) => (b[0] = 0x4f))),
      { layer: 'ipv4', reason: 'truncated', offset: 28 },
    ],
    [
      'IPv4 total length below the header',
      () => decodeIPv4(ipv4Header((b) => b.writeUInt16BE(19, 2))),
      { layer: 'ipv4', reason: 'malformed', offset: 2 },
    ],
    [
      'IPv4 option longer than the header',
      () => decodeIPv4(Buffer.concat([Buffer.from([0x46]), ipv4Header().subarray(1, 20), Buffer.from([7, 9, 4, 0])])),
      { layer: 'ipv4', reason: 'malformed', offset: 21 },
    ],
    [
      'IPv4 option length 1',
      () => decodeIPv4(Buffer.concat([Buffer.from([0x46]), ipv4Header().subarray(1, 20), Buffer.from([7, 1, 0, 0])])),
      { layer: 'ipv4', reason: 'malformed', offset: 21 },
    ],
    [
      'IPv6 shorter than 40 bytes',
      () => decodeIPv6(validIPv6.subarray(0, 39)),
      { layer: 'ipv6', reason: 'truncated', offset: 39 },
    ],
    [
      'IPv6 with version 4',
      () => decodeIPv6(Buffer.concat([Buffer.from([0x40]), validIPv6.subarray(1)])),
      { layer: 'ipv6', reason: 'malformed', offset: 0 },
    ],
    [
      'IPv6 extension header past the payload length',
      () =>
        decodeIPv6(
          buildIPv6Packet({
            source: '::1',
            destination: '::2',
            nextHeader: 0,
            payload: Buffer.from([59, 1, 0, 0, 0, 0, 0, 0]),
          }),
        ),
      { layer: 'ipv6', reason: 'malformed', offset: 41 },
    ],
    [
      'IPv6 extension header cut off by the capture',
      () =>
        decodeIPv6(
          buildIPv6Packet({ source: '::1', destination: '::2', nextHeader: 60, payload: Buffer.alloc(16) }).subarray(
            0,
            44,
          ),
        ),
      { layer: 'ipv6', reason: 'truncated', offset: 44 },
    ],
    ['UDP shorter than 8 bytes', () => decodeUdp(Buffer.alloc(7)), { layer: 'udp', reason: 'truncated', offset: 7 }],
    [
      'UDP length below 8',
      () => decodeUdp(Buffer.from('0001000200070000', 'hex')),
      { layer: 'udp', reason: 'malformed', offset: 4 },
    ],
    [
      'UDP length beyond the IP payload',
      () => decodeUdp(Buffer.from('000100020010000000', 'hex'), { segmentLength: 9 }),
      { layer: 'udp', reason: 'malformed', offset: 4 },
    ],
    [
      'UDP-Lite shorter than 8 bytes',
      () => decodeUdpLite(Buffer.alloc(4)),
      { layer: 'udplite', reason: 'truncated', offset: 4 },
    ],
    ...[1, 7].map(
      (coverage) =>
        [
          `UDP-Lite coverage ${coverage}`,
          () => decodeUdpLite(Buffer.from(`00010002${coverage.toString(16).padStart(4, '0')}1234`, 'hex')),
          { layer: 'udplite', reason: 'malformed', offset: 4 },
        ] as (typeof cases)[number],
    ),
    [
      'UDP-Lite coverage beyond the datagram',
      () => decodeUdpLite(Buffer.from('0001000200091234', 'hex')),
      { layer: 'udplite', reason: 'malformed', offset: 4 },
    ],
    ['TCP shorter than 20 bytes', () => decodeTcp(Buffer.alloc(19)), { layer: 'tcp', reason: 'malformed', offset: 19 }],
    [
      'TCP data offset below 5',
      () => decodeTcp(Buffer.from('0001000200000000000000004002ffff00000000', 'hex')),
      { layer: 'tcp', reason: 'malformed', offset: 12 },
    ],
    [
      'TCP data offset past the segment',
      () => decodeTcp(Buffer.from('0001000200000000000000006002ffff00000000', 'hex')),
      { layer: 'tcp', reason: 'malformed', offset: 12 },
    ],
    [
      'TCP options cut off by the capture',
      () => decodeTcp(Buffer.from('0001000200000000000000006002ffff00000000', 'hex'), { segmentLength: 24 }),
      { layer: 'tcp', reason: 'truncated', offset: 20 },
    ],
    ['ICMP shorter than 8 bytes', () => decodeIcmp(Buffer.alloc(7)), { layer: 'icmp', reason: 'malformed', offset: 7 }],
    [
      'ICMPv6 cut by the capture',
      () => decodeIcmpv6(Buffer.alloc(7), { segmentLength: 64 }),
      { layer: 'icmpv6', reason: 'truncated', offset: 7 },
    ],
  ];
  it.each(cases)('%s', (_name, decode, error) => {
    const result = decode() as { ok: boolean; error?: unknown };
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject(error);
  });

  it.each([
    ['IPv4 header checksum changed', () => decodeIPv4(ipv4Header((b) => (b[11] = (b[11] ?? 0) ^ 1)))],
    ['ICMP checksum wrong', () => decodeIcmp(Buffer.from('0800000012340001', 'hex'))],
    [
      'UDP-Lite checksum of 0 (mandatory in UDP-Lite)',
      () => decodeUdpLite(Buffer.from('0001000200000000', 'hex'), { source: '10.0.0.1', destination: '10.0.0.2' }),
    ],
    [
      'UDP over IPv6 without a checksum',
      () => decodeUdp(Buffer.from('0001000200080000', 'hex'), { source: '::1', destination: '::1' }),
    ],
  ])('%s decodes with checksumValid false', (_name, decode) => {
    expect(decode()).toMatchObject({ ok: true, checksumValid: false });
  });

  it('a capture cut inside the payload decodes with truncated set and no checksum verdict', () => {
    const frame = buildEthernetFrame({
      destination: '02:00:00:00:00:02',
      source: '02:00:00:00:00:01',
      etherType: 0x0800,
      payload: buildIPv4Packet({
        source: '10.0.0.1',
        destination: '10.0.0.2',
        protocol: 17,
        payload: buildUdpDatagram({
          source: '10.0.0.1',
          destination: '10.0.0.2',
          sourcePort: 1,
          destinationPort: 2,
          payload: Buffer.alloc(100),
        }),
      }),
    });
    const packet = decodePacket(frame.subarray(0, 60), { linkType: 'ethernet' });
    expect(packet.ok).toBe(true);
    expect(packet.network).toMatchObject({ truncated: true, checksumValid: true });
    expect(packet.transport).toMatchObject({ layer: 'udp', length: 108, truncated: true });
    expect(packet.transport && 'checksumValid' in packet.transport).toBe(false);
    expect(packet.payload.length).toBe(60 - 14 - 20 - 8);
  });

  it('Ethernet padding after the IPv4 total length is not payload', () => {
    const ip = ipv4Header();
    const frame = buildEthernetFrame({
      destination: '02:00:00:00:00:02',
      source: '02:00:00:00:00:01',
      etherType: 0x0800,
      payload: ip,
      padToMinimum: true,
    });
    expect(frame.length).toBe(60);
    const packet = decodePacket(frame, { linkType: 'ethernet' });
    expect(packet.network?.payload.length).toBe(8);
    expect(packet.network?.truncated).toBe(false);
  });

  it('decodePacket reports the error offset from the start of the packet and keeps the outer layers', () => {
    const frame = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x00]), ipv4Header((b) => (b[0] = 0x43))]);
    const packet = decodePacket(frame, { linkType: 'ethernet' });
    expect(packet.ok).toBe(false);
    expect(packet.link?.layer).toBe('ethernet');
    expect(packet.network).toBeUndefined();
    expect(!packet.ok && packet.error).toMatchObject({ layer: 'ipv4', reason: 'malformed', offset: 14 });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const decoders: [string, (data: Uint8Array) => unknown][] = [
  ['decodeEthernet', decodeEthernet],
  ['decodeLinuxSll', decodeLinuxSll],
  ['decodeLinuxSll2', decodeLinuxSll2],
  ['decodeIPv4', decodeIPv4],
  ['decodeIPv6', decodeIPv6],
  ['decodeUdp', (d) => decodeUdp(d, { source: '10.0.0.1', destination: '10.0.0.2' })],
  ['decodeUdpLite', (d) => decodeUdpLite(d, { source: '::1', destination: '::2' })],
  ['decodeTcp', (d) => decodeTcp(d, { source: '10.0.0.1', destination: '10.0.0.2' })],
  ['decodeIcmp', decodeIcmp],
  ['decodeIcmpv6', (d) => decodeIcmpv6(d, { source: '::1', destination: '::2' })],
  ...(['ethernet', 'cooked', 'linux-sll', 'linux-sll2'] as const).map(
    (linkType): [string, (data: Uint8Array) => unknown] => [
      `decodePacket ${linkType}`,
      (d) => decodePacket(d, { linkType }),
    ],
  ),
];

/** Every Buffer in a result is a view inside `input`'s bytes. */
function assertViewsInside(value: unknown, input: Uint8Array, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Uint8Array) {
    expect(value.buffer).toBe(input.buffer);
    expect(value.byteOffset).toBeGreaterThanOrEqual(input.byteOffset);
    expect(value.byteOffset + value.length).toBeLessThanOrEqual(input.byteOffset + input.length);
    return;
  }
  for (const child of Object.values(value)) assertViewsInside(child, input, seen);
}

function checkResult(result: unknown, input: Uint8Array): void {
  const r = result as { ok: boolean; error?: { layer: string; reason: string; offset: number } };
  expect(typeof r.ok).toBe('boolean');
  if (!r.ok) {
    expect(['truncated', 'malformed']).toContain(r.error?.reason);
    expect(r.error?.offset).toBeGreaterThanOrEqual(0);
    expect(r.error?.offset).toBeLessThanOrEqual(input.length);
  }
  assertViewsInside(result, input);
}

describe('properties', () => {
  // Decoders read only through Buffer's checked accessors (they throw past the end), so "never
  // throws" also means "never reads out of bounds".
  it.each(decoders)('%s never throws on random bytes and returns views inside the input', (_name, decode) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(8), (bytes, start) => {
        // A view that does not start at offset 0 of its ArrayBuffer, to catch offset mistakes.
        const backing = new Uint8Array(bytes.length + start + 8).fill(0xee);
        backing.set(bytes, start);
        const input = backing.subarray(start, start + bytes.length);
        checkResult(decode(input), input);
      }),
      { numRuns: 300 },
    );
  });

  it('decodePacket never throws on real frames with random truncation and byte changes', () => {
    const sources: { data: Buffer; linkType: PacketLinkType }[] = [];
    for (const name of ['lo', 'vlan', 'any'] as const) {
      for (const record of readPcap(readFileSync(captures[name].file)).packets) {
        sources.push({ data: record.data, linkType: captures[name].linkType });
      }
    }
    expect(sources.length).toBeGreaterThan(40);
    fc.assert(
      fc.property(
        fc.nat(sources.length - 1),
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(1600),
        (index, changes, cut) => {
          const source = sources[index] as (typeof sources)[number];
          const data = Buffer.from(source.data);
          for (const [at, value] of changes) if (at < data.length) data[at] = value;
          const input = data.subarray(0, Math.min(cut, data.length));
          checkResult(decodePacket(input, { linkType: source.linkType }), input);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('formatIPv6 prints what node:net prints, and parseIPv6 reads it back', () => {
    const word = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(word, { minLength: 8, maxLength: 8 }), (words) => {
        const bytes = Buffer.alloc(16);
        for (const [i, w] of words.entries()) bytes.writeUInt16BE(w, 2 * i);
        const text = formatIPv6(bytes);
        expect(text).toBe(new SocketAddress({ address: text, family: 'ipv6' }).address);
        const longhand = words.map((w) => w.toString(16)).join(':');
        expect(text).toBe(new SocketAddress({ address: longhand, family: 'ipv6' }).address);
        expect(parseIPv6(text)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});
