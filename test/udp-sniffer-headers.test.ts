// UdpSniffer on the IP headers its quick path does not read (IPv4 options, fragments) and on
// IPv6: datagrams from a real peer in a second namespace over a veth pair with a small MTU, so the
// kernel itself builds the options and the fragments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SniffedDatagram, UdpSniffer } from '../lib/sniffer/udp-sniffer.js';
import { VethPeer } from './helpers/udp-peers.js';
import { waitUntil } from './helpers/wait.js';

const PORT = 47_311;
let veth: VethPeer;

beforeAll(async () => {
  veth = await VethPeer.create('sh', 1280);
});
afterAll(async () => {
  await veth?.destroy();
});

/** Sniffs `local` while the peer runs `code`, until `count` datagrams were seen (or 5 s passed). */
async function sniff(code: string, count: number): Promise<{ seen: SniffedDatagram[]; malformed: number }> {
  const sniffer = UdpSniffer.create({ port: PORT, interface: veth.local, holdPort: true });
  try {
    const seen: SniffedDatagram[] = [];
    sniffer.on('datagram', (datagram: SniffedDatagram) => seen.push(datagram));
    await new Promise((resolve) => setImmediate(resolve));
    await veth.python(code);
    await waitUntil(() => seen.length >= count, 5000);
    return { seen, malformed: sniffer.stats().malformed };
  } finally {
    sniffer.close();
  }
}

describe('UdpSniffer reads every IP header shape the same way', () => {
  it('IPv4 with options: the payload after the longer header', async () => {
    const { seen, malformed } = await sniff(
      `s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([1, 1, 1, 0]))
s.bind(('${veth.remoteIPv4}', 40001))
s.sendto(b'with options', ('${veth.localIPv4[0]}', ${PORT}))`,
      1,
    );
    expect(malformed).toBe(0);
    expect(seen).toHaveLength(1);
    const [datagram] = seen as [SniffedDatagram];
    expect(datagram.payload.toString()).toBe('with options');
    expect(datagram.source).toEqual({ address: veth.remoteIPv4, port: 40001 });
    expect(datagram.destination).toEqual({ address: veth.localIPv4[0], port: PORT });
    expect(datagram.family).toBe('IPv4');
    expect(datagram.truncated).toBe(false);
    expect(datagram.interface).toBe(veth.local);
  });

  it('a fragmented IPv4 datagram: the first fragment, its payload reported truncated', async () => {
    const { seen, malformed } = await sniff(
      `s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: fragment
s.bind(('${veth.remoteIPv4}', 40002))
s.sendto(bytes(range(256)) * 12, ('${veth.localIPv4[0]}', ${PORT}))`,
      1,
    );
    expect(malformed).toBe(0);
    expect(seen).toHaveLength(1);
    const [datagram] = seen as [SniffedDatagram];
    expect(datagram.truncated).toBe(true);
    // The first fragment carries 1280 - 20 (IPv4) bytes rounded down to a multiple of 8 (RFC 791),
    // less the 8 of the UDP header: 1,248 of the 3,072 payload bytes.
    const sent = Buffer.from(Array.from({ length: 3072 }, (_, i) => i % 256));
    expect(datagram.payload.equals(sent.subarray(0, 1248))).toBe(true);
    expect(datagram.source.port).toBe(40002);
  });

  it('IPv6: addresses, ports and payload', async () => {
    const { seen, malformed } = await sniff(
      `s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('${veth.remoteIPv6}', 40003))
for i in range(3):
    s.sendto(b'six %d' % i, ('${veth.localIPv6[0]}', ${PORT}))`,
      3,
    );
    expect(malformed).toBe(0);
    expect(seen.map((d) => d.payload.toString())).toEqual(['six 0', 'six 1', 'six 2']);
    for (const datagram of seen) {
      expect(datagram.family).toBe('IPv6');
      expect(datagram.source).toEqual({ address: veth.remoteIPv6, port: 40003 });
      expect(datagram.destination).toEqual({ address: veth.localIPv6[0], port: PORT });
      expect(typeof datagram.timestamp).toBe('bigint');
    }
  });

  it('a datagram object shows and copies its fields', async () => {
    const { seen } = await sniff(
      `s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('${veth.remoteIPv4}', 40004))
s.sendto(b'shown', ('${veth.localIPv4[0]}', ${PORT}))`,
      1,
    );
    const [datagram] = seen as [SniffedDatagram];
    const fields = datagram.toObject();
    expect(fields).toMatchObject({
      source: { address: veth.remoteIPv4, port: 40004 },
      destination: { address: veth.localIPv4[0], port: PORT },
      truncated: false,
      family: 'IPv4',
      interface: veth.local,
    });
    expect(fields.payload.toString()).toBe('shown');
    const { inspect } = await import('node:util');
    expect(inspect(datagram)).toContain(`address: '${veth.remoteIPv4}'`);
  });
});
