// Raw IP sockets against Python's socket module as the peer: packets built whole with
// lib/decode's builders (IP_HDRINCL) arrive as built; received IPv4 packets carry their header,
// IPv6 ones do not; IPV6_CHECKSUM makes the kernel fill in and verify a checksum (ICMPv6 sockets
// refuse it); a process without CAP_NET_RAW is told how to get it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildIPv4Packet } from '../lib/decode/build.js';
import { RawIpSocket, type RawIpSocketMessage } from '../lib/ip/index.js';
import { lastJsonWithoutNetRaw, run } from './helpers/netns.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const PROTOCOL = 253; // RFC 3692: for experimentation

async function next(socket: RawIpSocket, timeoutMs = 5000): Promise<RawIpSocketMessage> {
  for await (const m of socket.messages({ signal: AbortSignal.timeout(timeoutMs) })) return m;
  throw new Error('nothing received');
}

/** Sends with `send` every 20 ms until `received` settles: a peer that is still opening its socket misses the first ones. */
async function sendUntil(received: Promise<unknown>, send: () => Promise<unknown>): Promise<void> {
  let done = false;
  received.finally(() => {
    done = true;
  });
  while (!done) {
    await send();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a Python snippet (with socket and struct imported) and returns its stdout. */
async function python(code: string): Promise<string> {
  const result = await run('python3', ['-c', `import socket, struct, sys\n${code}`], { timeoutMs: 20_000 });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe('IPv4', () => {
  it('a packet built with buildIPv4Packet goes out as built (IP_HDRINCL) and Python receives it so', async () => {
    const packet = buildIPv4Packet({
      source: '127.0.0.1',
      destination: '127.0.0.1',
      protocol: PROTOCOL,
      ttl: 33,
      identification: 0x4321,
      dontFragment: false,
      payload: Buffer.from('hand-built'),
    });
    const sender = RawIpSocket.create({ family: 4, protocol: PROTOCOL, headerIncluded: true });
    expect(sender.headerIncluded).toBe(true);
    const received = python(`
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, ${PROTOCOL})
s.settimeout(10)
print('ready', flush=True)
data, peer = s.recvfrom(2048)
print(data.hex(), peer[0])`);
    await sendUntil(received, () => sender.send(packet, '127.0.0.1'));
    const [hex, peer] = ((await received).split('\n').pop() as string).split(' ') as [string, string];
    expect(peer).toBe('127.0.0.1');
    expect(Buffer.from(hex, 'hex')).toEqual(packet);
    sender.close();
  });

  it('received packets carry their IP header; the payload, TTL and sender are reported', async () => {
    const receiver = RawIpSocket.create({ family: 4, protocol: PROTOCOL }).bind('127.0.0.1');
    const got = next(receiver);
    await python(`
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, ${PROTOCOL})
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 7)
s.sendto(b'from python', ('127.0.0.1', 0))`);
    const m = await got;
    expect(m).toMatchObject({ kind: 'packet', address: '127.0.0.1', family: 'IPv4', ttl: 7, truncated: false });
    if (m.kind !== 'packet') throw new Error('not a packet');
    expect(m.data[0]).toBe(0x45);
    expect(m.data[9]).toBe(PROTOCOL);
    expect(m.payload.toString()).toBe('from python');
    expect(m.size).toBe(20 + 11);
    expect(typeof m.receivedAt).toBe('bigint');
    receiver.close();
  });

  it('protocol 255 (IPPROTO_RAW) always includes the header', () => {
    const socket = RawIpSocket.create({ family: 4, protocol: 255 });
    expect(socket.headerIncluded).toBe(true);
    socket.close();
  });

  it('a packet longer than maxDatagramSize is cut and flagged, with its real size', async () => {
    const receiver = RawIpSocket.create({ family: 4, protocol: PROTOCOL, maxDatagramSize: 24 }).bind('127.0.0.1');
    const got = next(receiver);
    const sender = RawIpSocket.create({ family: 4, protocol: PROTOCOL });
    await sender.send(Buffer.alloc(100, 1), '127.0.0.1');
    expect(await got).toMatchObject({ kind: 'packet', truncated: true, size: 120 });
    receiver.close();
    sender.close();
  });
});

describe('IPv6', () => {
  it('received packets have no IPv6 header; the hop limit comes as a control message', async () => {
    const receiver = RawIpSocket.create({ family: 6, protocol: PROTOCOL }).bind('::1');
    const got = next(receiver);
    await python(`
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, ${PROTOCOL})
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 9)
s.sendto(b'six', ('::1', 0))`);
    expect(await got).toMatchObject({ kind: 'packet', address: '::1', family: 'IPv6', ttl: 9, size: 3 });
    receiver.close();
  });

  it('checksumOffset: the kernel fills in the checksum Python verifies, and drops a wrong one on receive', async () => {
    const sender = RawIpSocket.create({ family: 6, protocol: PROTOCOL, checksumOffset: 2, ttl: 5 });
    expect(sender.checksumOffset).toBe(2);
    // Python's socket checks the checksum at offset 2 (IPV6_CHECKSUM = 7), so it only sees a right one.
    const received = python(`
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, ${PROTOCOL})
s.setsockopt(socket.IPPROTO_IPV6, 7, 2)
s.settimeout(10)
print('ready', flush=True)
data, peer = s.recvfrom(2048)
print(data.hex())`);
    await sendUntil(received, () => sender.send(Buffer.from('\0\0\0\0checked'), '::1'));
    const bytes = Buffer.from((await received).split('\n').pop() as string, 'hex');
    expect(bytes.subarray(4).toString()).toBe('checked');
    expect(bytes.readUInt16BE(2)).not.toBe(0);

    // And the other way: a receiver with the option drops a packet whose checksum is wrong.
    const receiver = RawIpSocket.create({ family: 6, protocol: PROTOCOL, checksumOffset: 2 }).bind('::1');
    const got = next(receiver);
    const plain = RawIpSocket.create({ family: 6, protocol: PROTOCOL });
    await plain.send(Buffer.from('\0\0\xff\xffwrong', 'latin1'), '::1');
    await sender.send(Buffer.from('\0\0\0\0right'), '::1');
    const m = await got;
    expect(m.kind === 'packet' && m.payload.subarray(4).toString()).toBe('right');
    for (const s of [sender, receiver, plain]) s.close();
  });

  it('ICMPv6 raw sockets refuse IPV6_CHECKSUM with an explanation', () => {
    expect(() => RawIpSocket.create({ family: 6, protocol: 58, checksumOffset: 2 })).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: expect.stringContaining('computes ICMPv6 checksums itself') }),
    );
  });
});

describe('privileges and bad input', () => {
  it('without CAP_NET_RAW: EPERM saying how to get it', async () => {
    const script = `import { RawIpSocket } from '${path.join(here, '../lib/ip/index.js')}';
      try { RawIpSocket.create({ family: 4, protocol: 253 }); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const error = await lastJsonWithoutNetRaw(script);
    expect(error.code).toBe('EPERM');
    expect(error.message).toContain('raw IP sockets need CAP_NET_RAW');
  });

  it.each([
    [{ family: 4 }, 'ERR_INVALID_ARG_TYPE'],
    [{ family: 4, protocol: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, protocol: 256 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 6, protocol: 253, headerIncluded: true }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 4, protocol: 253, checksumOffset: 2 }, 'ERR_INVALID_ARG_VALUE'],
    [{ family: 6, protocol: 253, checksumOffset: 3 }, 'ERR_OUT_OF_RANGE'],
    [{ family: 4, protocol: 253, headerIncluded: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
  ])('RawIpSocket.create(%j) throws %s', (options, code) => {
    expect(() => RawIpSocket.create(options as never)).toThrow(expect.objectContaining({ code }));
  });

  it('send() of a non-buffer throws; after close() it throws ERR_SOCKET_CLOSED', () => {
    const socket = RawIpSocket.create({ family: 4, protocol: PROTOCOL });
    expect(() => socket.send(42 as never, '127.0.0.1')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    socket.close();
    expect(() => socket.send('x', '127.0.0.1')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe('RawIpSocket follows the socket shape (docs/sockets.md)', () => {
  it('remoteAddress() unconnected throws ERR_SOCKET_DGRAM_NOT_CONNECTED; a misspelt option is refused', () => {
    const socket = RawIpSocket.create({ family: 6, protocol: 253 });
    try {
      expect(() => socket.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    } finally {
      socket.close();
    }
    expect(() => RawIpSocket.create({ family: 4, protocol: 253, headerInclude: true } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('headerInclude') }),
    );
  });
});
