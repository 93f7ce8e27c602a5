// UdpSocket against real peers: Python sockets (with the ancillary data node:dgram cannot read),
// node:dgram and socat, on loopback and across a veth pair into a second network namespace:
// where datagrams arrived (IP_PKTINFO), the source chosen per send, SO_BINDTODEVICE, received
// TTL / TOS, path MTU discovery, sendmmsg / recvmmsg batches, and GSO / GRO.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type UdpMessage, UdpSocket, udpOffloadSupport } from '../lib/udp/index.js';
import { run } from './helpers/netns.js';
import { socketInodes } from './helpers/socket-inodes.js';
import { python, startPython, VethPeer } from './helpers/udp-peers.js';

const here = path.dirname(new URL(import.meta.url).pathname);
type Family = 4 | 6;
const FAMILIES: Family[] = [4, 6];
const LOOPBACK = { 4: '127.0.0.1', 6: '::1' } as const;
const AF = { 4: 'socket.AF_INET', 6: 'socket.AF_INET6' } as const;

/** The first `count` messages of a socket (with a generous timeout). */
async function take(socket: UdpSocket, count: number, timeoutMs = 10_000): Promise<UdpMessage[]> {
  const out: UdpMessage[] = [];
  if (count === 0) return out;
  for await (const m of socket.messages({ signal: AbortSignal.timeout(timeoutMs) })) {
    out.push(m);
    if (out.length === count) break;
  }
  return out;
}

/** What the Python receiver (recvmsg with IP_RECVTTL / IP_RECVTOS or the IPv6 ones) saw per datagram. */
interface Seen {
  address: string;
  port: number;
  size: number;
  ttl: number;
  tos: number;
  data: Buffer;
}

/**
 * A Python receiver of `count` datagrams on `bind`:`port` printing sender, size, TTL / hop limit,
 * TOS / traffic class and payload of each (IP_TTL 2, IP_TOS 1, IP_RECVTTL 12, IP_RECVTOS 13;
 * IPV6_HOPLIMIT 52, IPV6_TCLASS 67, IPV6_RECVHOPLIMIT 51, IPV6_RECVTCLASS 66).
 */
function receiverCode(family: Family, bind: string, port: number, count: number): string {
  return `
s = socket.socket(${AF[family]}, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
${family === 4 ? 's.setsockopt(0, 12, 1); s.setsockopt(0, 13, 1)' : 's.setsockopt(41, 51, 1); s.setsockopt(41, 66, 1)'}
s.bind(('${bind}', ${port}))
s.settimeout(10)
print('ready', flush=True)
for _ in range(${count}):
    data, anc, flags, peer = s.recvmsg(65535, 1024)
    ttl = tos = -1
    for level, kind, d in anc:
        if (level, kind) in ((0, 2), (41, 52)): ttl = struct.unpack('i', d[:4])[0]
        elif (level, kind) == (0, 1): tos = d[0]
        elif (level, kind) == (41, 67): tos = struct.unpack('i', d[:4])[0]
    print(peer[0], peer[1], len(data), ttl, tos, data.hex(), flush=True)`;
}

function parseSeen(output: string): Seen[] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [address, port, size, ttl, tos, hex] = line.split(' ') as [string, string, string, string, string, string];
      return {
        address,
        port: Number(port),
        size: Number(size),
        ttl: Number(ttl),
        tos: Number(tos),
        data: Buffer.from(hex ?? '', 'hex'),
      };
    });
}

/** A port free on loopback right now (bound and released). */
function freePort(family: Family): number {
  const probe = UdpSocket.create({ family }).bind(0, LOOPBACK[family]);
  const { port } = probe.address();
  probe.close();
  return port;
}

async function interfaceIndex(name: string, netns?: VethPeer): Promise<number> {
  const result = netns
    ? await netns.exec('ip', ['-j', 'link', 'show', 'dev', name])
    : await run('ip', ['-j', 'link', 'show', 'dev', name]);
  return (JSON.parse(result.stdout) as { ifindex: number }[])[0]?.ifindex as number;
}

describe.each(FAMILIES)('IPv%i on loopback', (family) => {
  const loopback = LOOPBACK[family];

  it("has node:dgram's shape: bind/connect return this, 'listening' and 'connect' on the next tick, address(), remoteAddress()", async () => {
    const server = UdpSocket.create({ family });
    const events: string[] = [];
    server.on('listening', () => events.push('listening'));
    expect(server.bind(0, loopback)).toBe(server);
    expect(events).toEqual([]);
    await once(server, 'listening');
    const address = server.address();
    expect(address).toEqual({ address: loopback, family: `IPv${family}`, port: expect.any(Number) });

    const client = UdpSocket.create({ family });
    expect(() => client.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    expect(client.connect(address.port, loopback)).toBe(client);
    await once(client, 'connect');
    expect(client.remoteAddress()).toEqual(address);
    await client.send('connected');
    const [m] = await take(server, 1);
    expect(m).toMatchObject({ address: loopback, port: client.address().port, size: 9, truncated: false });
    expect(m?.data.toString()).toBe('connected');
    expect(client.disconnect()).toBe(client);
    expect(() => client.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    expect(() => client.disconnect()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    await expect(client.send('nowhere')).rejects.toThrow(expect.objectContaining({ code: 'EDESTADDRREQ' }));

    expect(client.unref()).toBe(client);
    expect(client.ref()).toBe(client);
    let closes = 0;
    client.on('close', () => closes++);
    client.close();
    client.close();
    expect(closes).toBe(0);
    await once(client, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(1);
    server.close();
  });

  it('reports the TTL / hop limit and TOS / traffic class Python set, only when asked', async () => {
    const told = UdpSocket.create({ family, receiveTtl: true, receiveTos: true }).bind(0, loopback);
    const plain = UdpSocket.create({ family }).bind(0, loopback);
    const options =
      family === 4
        ? 's.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 17); s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xb8)'
        : 's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 17); s.setsockopt(socket.IPPROTO_IPV6, 67, 0xb8)';
    await python(`
s = socket.socket(${AF[family]}, socket.SOCK_DGRAM)
${options}
s.sendto(b'marked', ('${loopback}', ${told.address().port}))
s.sendto(b'marked', ('${loopback}', ${plain.address().port}))`);
    const [m] = await take(told, 1);
    expect(m).toMatchObject({ ttl: 17, tos: 0xb8, size: 6 });
    const [p] = await take(plain, 1);
    expect(p).toMatchObject({ ttl: undefined, tos: undefined, localAddress: undefined, receivedAt: undefined });
    told.close();
    plain.close();
  });

  it('sends with the socket TTL / TOS and with those of one send, as Python reads them', async () => {
    const port = freePort(family);
    const receiver = startPython(receiverCode(family, loopback, port, 2));
    await receiver.ready;
    const socket = UdpSocket.create({ family, ttl: 21, tos: 0x28 });
    expect(socket.ttl).toBe(21);
    expect(socket.tos).toBe(0x28);
    await socket.send('socket-wide', port, loopback);
    await socket.send('this one', { port, address: loopback, ttl: 5, tos: 0x48 });
    const seen = parseSeen(await receiver.output);
    expect(seen.map(({ ttl, tos, data }) => [ttl, tos, data.toString()])).toEqual([
      [21, 0x28, 'socket-wide'],
      [5, 0x48, 'this one'],
    ]);
    socket.close();
  });

  it('receiveTimestamps: the kernel receive time lies between send and receipt', async () => {
    const socket = UdpSocket.create({ family, receiveTimestamps: true }).bind(0, loopback);
    const before = BigInt(Date.now() - 1) * 1_000_000n;
    const got = take(socket, 1);
    await socket.send('when', socket.address().port, loopback);
    const [m] = await got;
    expect(m?.receivedAt).toBeGreaterThanOrEqual(before);
    expect(m?.receivedAt).toBeLessThanOrEqual(BigInt(Date.now() + 1) * 1_000_000n);
    socket.close();
  });

  it('exchanges datagrams with node:dgram in order, both ways', async () => {
    const peer = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6', recvBufferSize: 1 << 22 });
    peer.bind(0, loopback);
    await once(peer, 'listening');
    const socket = UdpSocket.create({ family, batchSize: 16, receiveBufferSize: 1 << 22 }).bind(0, loopback);
    const count = 300;
    const ours = take(socket, count);
    for (let i = 0; i < count; i++) peer.send(`to rawsock ${i}`, socket.address().port, loopback);
    expect((await ours).map((m) => m.data.toString())).toEqual(
      Array.from({ length: count }, (_, i) => `to rawsock ${i}`),
    );

    const theirs: string[] = [];
    const all = new Promise<void>((resolve) =>
      peer.on('message', (data) => {
        theirs.push(data.toString());
        if (theirs.length === count) resolve();
      }),
    );
    const port = peer.address().port;
    const sent = await socket.sendBatch(
      Array.from({ length: count }, (_, i) => ({ data: `to dgram ${i}`, port, address: loopback })),
    );
    expect(sent).toBe(count);
    await all;
    expect(theirs).toEqual(Array.from({ length: count }, (_, i) => `to dgram ${i}`));
    peer.close();
    socket.close();
  });

  it('a socat echo peer answers', async () => {
    const port = freePort(family);
    const socat = spawn('socat', [
      `UDP${family}-RECVFROM:${port},bind=${family === 6 ? `[${loopback}]` : loopback}`,
      'PIPE',
    ]);
    // Not connected: a datagram sent before socat is bound draws an ICMP port unreachable, which
    // a connected socket would report as ECONNREFUSED.
    const socket = UdpSocket.create({ family });
    const echo = take(socket, 1);
    // socat binds after it starts: send until the echo comes (an early datagram finds no socket).
    let answered = false;
    echo.finally(() => {
      answered = true;
    });
    while (!answered) {
      socket.trySend('echo me', port, loopback);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [m] = await echo;
    expect(m?.data.toString()).toBe('echo me');
    expect(m).toMatchObject({ address: loopback, port });
    socat.kill();
    socket.close();
  });
});

describe('dual stack', () => {
  it('an IPv6 socket reports an IPv4 datagram as IPv4-mapped: sender, arrival address, TTL and TOS', async () => {
    const socket = UdpSocket.create({
      family: 6,
      ipv6Only: false,
      receivePacketInfo: true,
      receiveTtl: true,
      receiveTos: true,
    }).bind(0, '::');
    const got = take(socket, 1);
    await python(`
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 33)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x20)
s.sendto(b'four', ('127.0.0.1', ${socket.address().port}))`);
    expect((await got)[0]).toMatchObject({
      address: '::ffff:127.0.0.1',
      family: 'IPv6',
      localAddress: '::ffff:127.0.0.1',
      interfaceIndex: 1,
      ttl: 33,
      tos: 0x20,
    });
    socket.close();
  });
});

describe.each(FAMILIES)('IPv%i batches', (family) => {
  const loopback = LOOPBACK[family];

  it('sendBatch: 1000 datagrams reach a Python receiver complete and in order', async () => {
    const port = freePort(family);
    const count = 1000;
    const receiver = startPython(receiverCode(family, loopback, port, count));
    await receiver.ready;
    const socket = UdpSocket.create({ family, sendBufferSize: 1 << 20 });
    const datagrams = Array.from({ length: count }, (_, i) => ({ data: `datagram ${i}`, port, address: loopback }));
    expect(await socket.sendBatch(datagrams)).toBe(count);
    const seen = parseSeen(await receiver.output);
    expect(seen.map((s) => s.data.toString())).toEqual(datagrams.map((d) => d.data));
    socket.close();
  });

  it('recvmmsg: 1000 datagrams from Python arrive complete and in order, 16 per system call', async () => {
    const socket = UdpSocket.create({ family, batchSize: 16, receiveBufferSize: 1 << 22 }).bind(0, loopback);
    const count = 1000;
    const got = take(socket, count);
    await python(`
s = socket.socket(${AF[family]}, socket.SOCK_DGRAM)
for i in range(${count}):
    s.sendto(b'from python %d' % i, ('${loopback}', ${socket.address().port}))`);
    expect((await got).map((m) => m.data.toString())).toEqual(
      Array.from({ length: count }, (_, i) => `from python ${i}`),
    );
    socket.close();
  });

  it('a batch to several destinations, each with its own options, and in order with send()', async () => {
    const a = UdpSocket.create({ family, receiveTtl: true }).bind(0, loopback);
    const b = UdpSocket.create({ family, receiveTtl: true }).bind(0, loopback);
    const socket = UdpSocket.create({ family });
    const batch = socket.sendBatch([
      { data: 'a1', port: a.address().port, address: loopback },
      { data: 'b1', port: b.address().port, address: loopback, ttl: 9 },
      { data: 'a2', port: a.address().port, address: loopback, ttl: 3 },
    ]);
    const single = socket.send('b2', b.address().port, loopback);
    expect(await batch).toBe(3);
    expect(await single).toBe(2);
    const fromA = await take(a, 2);
    const fromB = await take(b, 2);
    expect(fromA.map((m) => [m.data.toString(), m.ttl])).toEqual([
      ['a1', 64],
      ['a2', 3],
    ]);
    expect(fromB.map((m) => [m.data.toString(), m.ttl])).toEqual([
      ['b1', 9],
      ['b2', 64],
    ]);
    for (const s of [a, b, socket]) s.close();
  });

  it("a kernel error rejects with the failing datagram's index; those before it were sent", async () => {
    const receiver = UdpSocket.create({ family }).bind(0, loopback);
    const port = receiver.address().port;
    const socket = UdpSocket.create({ family });
    const tooBig = Buffer.alloc(65_535); // more than a UDP datagram holds over either family
    const failure = socket.sendBatch([
      { data: 'first', port },
      { data: 'second', port },
      { data: tooBig, port },
      { data: 'never', port },
    ]);
    await expect(failure).rejects.toThrow(expect.objectContaining({ code: 'EMSGSIZE', syscall: 'sendmmsg', index: 2 }));
    // The socket still works, and only the two before the failure arrived.
    await socket.send('after', port);
    expect((await take(receiver, 3)).map((m) => m.data.toString())).toEqual(['first', 'second', 'after']);
    socket.close();
    receiver.close();
  });
});

describe('across a veth pair into a second namespace', () => {
  let veth: VethPeer;
  let vethIndex: number;
  const MTU = 1300;

  beforeAll(async () => {
    veth = await VethPeer.create(`ru${process.pid % 100000}`, MTU);
    vethIndex = await interfaceIndex(veth.local);
  });

  afterAll(async () => {
    await veth?.destroy();
  });

  const local = (family: Family) => (family === 4 ? veth.localIPv4 : veth.localIPv6);
  const remote = (family: Family) => (family === 4 ? veth.remoteIPv4 : veth.remoteIPv6);

  it.each(FAMILIES)(
    'IPv%i: each datagram says which of two local addresses, and which interface, it arrived on',
    async (family) => {
      const socket = UdpSocket.create({ family, receivePacketInfo: true, ...(family === 6 ? { ipv6Only: true } : {}) });
      socket.bind(0);
      const port = socket.address().port;
      const [first, second] = local(family);
      const got = take(socket, 3);
      await veth.python(`
s = socket.socket(${AF[family]}, socket.SOCK_DGRAM)
s.sendto(b'to first', ('${first}', ${port}))
s.sendto(b'to second', ('${second}', ${port}))`);
      // From this host to its loopback address: arrives on lo. (Sent to its own address on the
      // veth, it would count as arriving on the veth: the kernel reports the interface that
      // holds the address, inet_iif() / IP6CB(skb)->iif, not lo that carried it.)
      const self = UdpSocket.create({ family });
      await self.send('from here', port, LOOPBACK[family]);
      const messages = await got;
      const byText = Object.fromEntries(messages.map((m) => [m.data.toString(), m]));
      expect(byText['to first']).toMatchObject({
        localAddress: first,
        interfaceIndex: vethIndex,
        address: remote(family),
      });
      expect(byText['to second']).toMatchObject({ localAddress: second, interfaceIndex: vethIndex });
      expect(byText['from here']).toMatchObject({
        localAddress: LOOPBACK[family],
        interfaceIndex: await interfaceIndex('lo'),
      });
      socket.close();
      self.close();
    },
  );

  it.each(FAMILIES)('IPv%i: the source address chosen per send is the one the peer sees', async (family) => {
    const [first, second] = local(family);
    const receiver = veth.startPython(receiverCode(family, remote(family), 7070, 3));
    await receiver.ready;
    const socket = UdpSocket.create({ family });
    await socket.send('from second', { port: 7070, address: remote(family), source: second });
    await socket.send('from first', { port: 7070, address: remote(family), source: first });
    await socket.send('via interface', { port: 7070, address: remote(family), interface: veth.local });
    const seen = parseSeen(await receiver.output);
    expect(seen.map((s) => [s.data.toString(), s.address])).toEqual([
      ['from second', second],
      ['from first', first],
      // the kernel picks one of the interface's addresses (RFC 6724 source selection)
      ['via interface', expect.toSatisfy((a) => local(family).includes(a as string))],
    ]);
    // An address this host does not have cannot be a source: the IPv4 route lookup finds no
    // device that has it (ENETUNREACH); IPv6 refuses it as invalid (EINVAL).
    await expect(
      socket.send('spoofed', { port: 7070, address: remote(family), source: remote(family) }),
    ).rejects.toThrow(expect.objectContaining({ code: family === 4 ? 'ENETUNREACH' : 'EINVAL', syscall: 'sendmsg' }));
    socket.close();
  });

  it('SO_BINDTODEVICE: of two sockets on one port, each sees only its own interface', async () => {
    const onVeth = UdpSocket.create({ family: 4, bindToDevice: veth.local });
    const onLo = UdpSocket.create({ family: 4, bindToDevice: 'lo' });
    expect(onVeth.bindToDevice).toBe(veth.local);
    expect(onLo.bindToDevice).toBe('lo');
    onVeth.bind(0);
    const port = onVeth.address().port;
    onLo.bind(port); // a port may be shared by sockets bound to different devices
    const [address] = veth.localIPv4;
    const sendFromPeer = (text: string) =>
      veth.python(`socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'${text}', ('${address}', ${port}))`);
    const self = UdpSocket.create({ family: 4 });
    // Peer, loopback, peer: had either socket seen the other's datagram it would be out of place below.
    await sendFromPeer('peer 1');
    await self.send('local', port, '127.0.0.1');
    await sendFromPeer('peer 2');
    expect((await take(onVeth, 2)).map((m) => m.data.toString())).toEqual(['peer 1', 'peer 2']);
    await self.send('local 2', port, '127.0.0.1');
    expect((await take(onLo, 2)).map((m) => m.data.toString())).toEqual(['local', 'local 2']);
    for (const s of [onVeth, onLo, self]) s.close();
  });

  it.each(FAMILIES)(
    'IPv%i: with mtuDiscovery "do" a datagram above the path MTU fails with EMSGSIZE; "dont" fragments it',
    async (family) => {
      const port = 7171;
      const receiver = veth.startPython(receiverCode(family, remote(family), port, 1));
      await receiver.ready;
      const socket = UdpSocket.create({ family, mtuDiscovery: 'do' }).connect(port, remote(family));
      expect(socket.mtuDiscovery).toBe('do');
      expect(socket.mtu).toBe(MTU);
      const big = Buffer.alloc(MTU + 100, 7);
      await expect(socket.send(big)).rejects.toThrow(expect.objectContaining({ code: 'EMSGSIZE', syscall: 'sendmsg' }));
      socket.mtuDiscovery = 'dont';
      expect(socket.mtuDiscovery).toBe('dont');
      expect(await socket.send(big)).toBe(big.length);
      const [seen] = parseSeen(await receiver.output);
      expect(seen?.size).toBe(big.length);
      expect(seen?.data.equals(big)).toBe(true);
      socket.close();
    },
  );
});

describe.each(FAMILIES)('IPv%i segmentation offload', (family) => {
  const loopback = LOOPBACK[family];

  it('the kernel has UDP_SEGMENT and UDP_GRO (Linux 4.18 and 5.0)', () => {
    expect(udpOffloadSupport()).toEqual({ segmentation: true, receiveCoalescing: true });
  });

  it('GSO: one send of 10 segments and a tail arrives at a Python receiver as 11 datagrams', async () => {
    const port = freePort(family);
    const receiver = startPython(receiverCode(family, loopback, port, 11));
    await receiver.ready;
    const payload = Buffer.alloc(10 * 1000 + 123);
    for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(i / 1000);
    const socket = UdpSocket.create({ family });
    expect(await socket.send(payload, { port, address: loopback, segmentSize: 1000 })).toBe(payload.length);
    const seen = parseSeen(await receiver.output);
    expect(seen.map((s) => s.size)).toEqual([...Array(10).fill(1000), 123]);
    expect(Buffer.concat(seen.map((s) => s.data)).equals(payload)).toBe(true);
    socket.close();
  });

  it('GSO as a socket option: every send is cut (UDP_SEGMENT)', async () => {
    const receiver = UdpSocket.create({ family }).bind(0, loopback);
    const socket = UdpSocket.create({ family, segmentSize: 500 });
    expect(socket.segmentSize).toBe(500);
    await socket.send(Buffer.alloc(1200, 1), receiver.address().port, loopback);
    expect((await take(receiver, 3)).map((m) => m.size)).toEqual([500, 500, 200]);
    socket.close();
    receiver.close();
  });

  it('GSO: 128 segments go, 129 are EINVAL (UDP_MAX_SEGMENTS on Linux 6.18), and the message says why', async () => {
    const receiver = UdpSocket.create({ family }).bind(0, loopback);
    const port = receiver.address().port;
    const socket = UdpSocket.create({ family });
    expect(await socket.send(Buffer.alloc(128 * 100), { port, address: loopback, segmentSize: 100 })).toBe(12_800);
    expect((await take(receiver, 128)).every((m) => m.size === 100)).toBe(true);
    await expect(socket.send(Buffer.alloc(129 * 100), { port, address: loopback, segmentSize: 100 })).rejects.toThrow(
      expect.objectContaining({
        code: 'EINVAL',
        syscall: 'sendmsg',
        message: expect.stringContaining('UDP_MAX_SEGMENTS'),
      }),
    );
    socket.close();
    receiver.close();
  });

  it.each([false, true])(
    "GRO: Python's GSO send of 8 datagrams is read coalesced and reported with its segment size (keepCoalesced %s)",
    async (keepCoalesced) => {
      const socket = UdpSocket.create({ family, gro: true, keepCoalesced }).bind(0, loopback);
      expect(socket.gro).toBe(true);
      const got = take(socket, keepCoalesced ? 1 : 8);
      // SOL_UDP 17, UDP_SEGMENT 103: the peer sends 8 x 700 bytes in one sendto().
      await python(`
s = socket.socket(${AF[family]}, socket.SOCK_DGRAM)
s.setsockopt(17, 103, 700)
s.sendto(bytes(i // 700 for i in range(8 * 700)), ('${loopback}', ${socket.address().port}))`);
      const messages = await got;
      if (keepCoalesced) {
        expect(messages[0]).toMatchObject({ size: 5600, segmentSize: 700 });
      } else {
        expect(messages.map((m) => [m.size, m.segmentSize, m.data[0]])).toEqual(
          Array.from({ length: 8 }, (_, i) => [700, 700, i]),
        );
      }
      socket.close();
    },
  );
});

describe('bad input', () => {
  it.each([
    [null, 'ERR_INVALID_ARG_TYPE'],
    [{ family: 5 }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, ipv6Only: true }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, receivePacketInfo: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [{ family: 4, ttl: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, tos: 256 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, mtuDiscovery: 'sometimes' }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, segmentSize: 65536 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, keepCoalesced: true }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, bindToDevice: 'a-name-far-too-long' }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, batchSize: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, maxDatagramSize: 70000 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, recievePacketInfo: true }, 'ERR_INVALID_ARG_VALUE'], // misspelt: refused, not ignored
    [{ family: 4, coalesceMs: 1001 }, 'ERR_OUT_OF_RANGE'],
  ])('UdpSocket.create(%j) throws %s', (options, code) => {
    expect(() => UdpSocket.create(options as never)).toThrow(expect.objectContaining({ code }));
  });

  it('an interface that does not exist: bindToDevice throws ENODEV, a send to it rejects ENODEV', async () => {
    expect(() => UdpSocket.create({ family: 4, bindToDevice: 'nosuch0' })).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'setsockopt' }),
    );
    const socket = UdpSocket.create({ family: 4 });
    await expect(socket.send('x', { port: 9, interface: 'nosuch0' })).rejects.toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    socket.close();
  });

  it.each([
    ['a number as data', (s: UdpSocket) => s.send(42 as never, 9), 'ERR_INVALID_ARG_TYPE'],
    ['port 0', (s: UdpSocket) => s.send('x', 0), 'ERR_OUT_OF_RANGE'],
    ['port 70000', (s: UdpSocket) => s.send('x', 70000), 'ERR_OUT_OF_RANGE'],
    ['a port as text', (s: UdpSocket) => s.send('x', '53' as never), 'ERR_INVALID_ARG_TYPE'],
    ['an address of the other family', (s: UdpSocket) => s.send('x', 9, '::1'), 'ERR_INVALID_ARG_VALUE'],
    ['an address without a port', (s: UdpSocket) => s.send('x', { address: '127.0.0.1' }), 'ERR_INVALID_ARG_VALUE'],
    [
      'a source that is no address',
      (s: UdpSocket) => s.send('x', { port: 9, source: 'here' }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'a misspelt send option',
      (s: UdpSocket) => s.send('x', { port: 9, sorce: '127.0.0.1' } as never),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['interface 0', (s: UdpSocket) => s.send('x', { port: 9, interface: 0 }), 'ERR_OUT_OF_RANGE'],
    ['segmentSize 0', (s: UdpSocket) => s.send('x', { port: 9, segmentSize: 0 }), 'ERR_OUT_OF_RANGE'],
    ['ttl 300', (s: UdpSocket) => s.trySend('x', { port: 9, ttl: 300 }), 'ERR_OUT_OF_RANGE'],
    ['a batch that is no array', (s: UdpSocket) => s.sendBatch('x' as never), 'ERR_INVALID_ARG_TYPE'],
    ['a batch entry without data', (s: UdpSocket) => s.sendBatch([{ port: 9 } as never]), 'ERR_INVALID_ARG_TYPE'],
    ['a bind port of -1', (s: UdpSocket) => s.bind(-1), 'ERR_OUT_OF_RANGE'],
    ['a bind address of the other family', (s: UdpSocket) => s.bind(0, '::'), 'ERR_INVALID_ARG_VALUE'],
    [
      'mtuDiscovery "maybe"',
      (s: UdpSocket) => {
        s.mtuDiscovery = 'maybe' as never;
      },
      'ERR_INVALID_ARG_VALUE',
    ],
  ])('%s throws %s synchronously', (_name, call, code) => {
    const socket = UdpSocket.create({ family: 4 });
    expect(() => call(socket)).toThrow(expect.objectContaining({ code }));
    socket.close();
  });

  it('the kernel refuses a bind to a taken port: EADDRINUSE, thrown by bind()', () => {
    const first = UdpSocket.create({ family: 4 }).bind(0, '127.0.0.1');
    const second = UdpSocket.create({ family: 4 });
    expect(() => second.bind(first.address().port, '127.0.0.1')).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
    );
    first.close();
    second.close();
  });

  it('after close(): every call throws ERR_SOCKET_CLOSED', () => {
    const socket = UdpSocket.create({ family: 4 });
    socket.close();
    for (const call of [
      () => socket.send('x', 9),
      () => socket.trySend('x', 9),
      () => socket.sendBatch([]),
      () => socket.bind(0),
      () => socket.connect(9),
      () => socket.address(),
      () => socket.messages(),
      () => socket.ttl,
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    }
  });
});

describe('worker threads', () => {
  it.each(['worker.terminate()', 'process.exit() in the worker'])(
    'three busy workers ended by %s, three rounds: no socket left, no crash',
    async (how) => {
      const before = socketInodes();
      for (let round = 0; round < 3; round++) {
        const workers = await Promise.all(
          Array.from({ length: 3 }, async () => {
            const worker = new Worker(path.join(here, 'helpers/tsx-worker.mjs'), {
              workerData: { module: path.join(here, 'helpers/udp-worker.ts') },
            });
            const [message] = await once(worker, 'message');
            expect(message).toEqual({ busy: ['batch', 'gso-gro', 'single'] });
            return worker;
          }),
        );
        expect(socketInodes().size).toBeGreaterThan(before.size);
        await Promise.all(
          workers.map(async (worker) => {
            if (how === 'worker.terminate()') {
              await worker.terminate();
            } else {
              const exited = once(worker, 'exit');
              worker.postMessage('exit');
              expect((await exited)[0]).toBe(0);
            }
          }),
        );
        expect([...socketInodes()].filter((inode) => !before.has(inode))).toEqual([]);
      }
    },
    120_000,
  );
});
