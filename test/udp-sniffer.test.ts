// UdpSniffer: a second program's view of a UDP port through a packet socket, beside (or without)
// a bound listener, as busybox's udhcpc does.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { type SniffedDatagram, UdpSniffer } from '../lib/sniffer/udp-sniffer.js';
import { waitUntil } from './helpers/wait.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

async function listener(
  type: 'udp4' | 'udp6',
  address: string,
): Promise<{ socket: dgram.Socket; port: number; got: Buffer[] }> {
  const socket = dgram.createSocket(type);
  const got: Buffer[] = [];
  socket.on('message', (message) => got.push(message));
  socket.bind(0, address);
  await once(socket, 'listening');
  cleanup.push(() => socket.close());
  return { socket, port: socket.address().port, got };
}

async function sendAll(
  type: 'udp4' | 'udp6',
  address: string,
  port: number,
  count: number,
  prefix = 'datagram',
): Promise<number> {
  const sender = dgram.createSocket(type);
  sender.bind(0, address);
  await once(sender, 'listening');
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) =>
      sender.send(`${prefix} ${i}`, port, address, (e) => (e ? reject(e) : resolve())),
    );
  }
  const from = sender.address().port;
  sender.close();
  return from;
}

/** Collects datagrams until `count` arrived, then waits a little more to catch any duplicate. */
async function collect(sniffer: UdpSniffer, count: number): Promise<SniffedDatagram[]> {
  const seen: SniffedDatagram[] = [];
  const done = new Promise<void>((resolve) => {
    sniffer.on('datagram', (datagram: SniffedDatagram) => {
      seen.push(datagram);
      if (seen.length === count) setTimeout(resolve, 100);
    });
  });
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5000))]);
  return seen;
}

describe('UdpSniffer beside a bound listener', () => {
  it.each([
    ['IPv4 on lo', 'udp4', '127.0.0.1', 'lo'],
    ['IPv6 on lo', 'udp6', '::1', 'lo'],
    ['IPv4 on all interfaces', 'udp4', '127.0.0.1', undefined],
    ['IPv6 on all interfaces', 'udp6', '::1', undefined],
  ] as const)('%s: listener and sniffer each see every datagram exactly once', async (_label, type, address, iface) => {
    const { port, got } = await listener(type, address);
    const sniffer = UdpSniffer.create({ port, ...(iface ? { interface: iface } : {}) });
    cleanup.push(() => sniffer.close());
    const collecting = collect(sniffer, 100);
    const from = await sendAll(type, address, port, 100);
    const seen = await collecting;
    expect(got.map(String)).toEqual(Array.from({ length: 100 }, (_, i) => `datagram ${i}`));
    expect(seen.map((d) => d.payload.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `datagram ${i}`));
    const first = seen[0] as SniffedDatagram;
    expect(first).toMatchObject({
      source: { address, port: from },
      destination: { address, port },
      family: type === 'udp4' ? 'IPv4' : 'IPv6',
      interface: 'lo',
      truncated: false,
    });
    expect(first.timestamp).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
    expect(sniffer.stats().malformed).toBe(0);
  });

  it('never delivers datagrams to other ports, other addresses or other protocols', async () => {
    const { port } = await listener('udp4', '127.0.0.1');
    const other = await listener('udp4', '127.0.0.1');
    const sniffer = UdpSniffer.create({ port, address: '127.0.0.1', interface: 'lo' });
    cleanup.push(() => sniffer.close());
    const seen: SniffedDatagram[] = [];
    sniffer.on('datagram', (d: SniffedDatagram) => seen.push(d));
    await sendAll('udp4', '127.0.0.1', other.port, 50, 'other port');
    await sendAll('udp4', '127.0.0.2', port, 50, 'other address');
    await sendAll('udp4', '127.0.0.1', port, 5, 'wanted');
    // The unwanted datagrams were sent first: once the wanted ones are in, any leak would be too.
    await waitUntil(() => seen.length >= 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.map((d) => d.payload.toString())).toEqual(['wanted 0', 'wanted 1', 'wanted 2', 'wanted 3', 'wanted 4']);
    expect(sniffer.packetSocket.stats().delivered).toBe(5);
  });

  it('reports payloads cut by the snap length as truncated', async () => {
    const { port } = await listener('udp4', '127.0.0.1');
    const sniffer = UdpSniffer.create({ port, interface: 'lo', snapLength: 20 + 8 + 4 });
    cleanup.push(() => sniffer.close());
    const collecting = collect(sniffer, 1);
    await sendAll('udp4', '127.0.0.1', port, 1, 'a longer payload');
    const [datagram] = await collecting;
    expect(datagram?.truncated).toBe(true);
    expect(datagram?.payload.toString()).toBe('a lo');
  });
});

describe('UdpSniffer without a listener', () => {
  it('sees the datagrams; with holdPort the kernel sends no ICMP errors', async () => {
    const probe = await listener('udp4', '127.0.0.1');
    const port = probe.port;
    probe.socket.close();
    cleanup.pop();
    const sniffer = UdpSniffer.create({ port, interface: 'lo', holdPort: true });
    cleanup.push(() => sniffer.close());
    expect(sniffer.holdingPort).toBe(true);
    const collecting = collect(sniffer, 20);
    // A connected sender would see ECONNREFUSED from the ICMP error if nothing held the port.
    const sender = dgram.createSocket('udp4');
    const errors: Error[] = [];
    sender.on('error', (e) => errors.push(e));
    sender.connect(port, '127.0.0.1');
    await once(sender, 'connect');
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) =>
        sender.send(`held ${i}`, (e) => {
          if (e) errors.push(e);
          resolve();
        }),
      );
    }
    const seen = await collecting;
    sender.close();
    expect(errors).toEqual([]);
    expect(seen).toHaveLength(20);
  });

  it('does not hold a port that another socket has', async () => {
    const { port } = await listener('udp4', '0.0.0.0');
    const sniffer = UdpSniffer.create({ port, interface: 'lo', holdPort: true });
    cleanup.push(() => sniffer.close());
    expect(sniffer.holdingPort).toBe(false);
  });
});

describe('UdpSniffer loops and errors', () => {
  it('a for await loop ends on close and on abort', async () => {
    const { port } = await listener('udp4', '127.0.0.1');
    const sniffer = UdpSniffer.create({ port, interface: 'lo' });
    const controller = new AbortController();
    const aborted = (async () => {
      for await (const _ of sniffer.datagrams({ signal: controller.signal })) {
        // nothing arrives
      }
    })();
    const got: string[] = [];
    const closed = (async () => {
      for await (const datagram of sniffer) got.push(datagram.payload.toString());
      return got;
    })();
    await sendAll('udp4', '127.0.0.1', port, 1, 'one');
    await waitUntil(() => got.length > 0);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    sniffer.close();
    sniffer.close();
    await expect(closed).resolves.toEqual(['one 0']);
    expect(() => sniffer.datagrams()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it.each([
    [{ port: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ port: '53' }, 'ERR_INVALID_ARG_TYPE'],
    [{ port: 53, family: 5 }, 'ERR_INVALID_ARG_VALUE'],
    [{ port: 53, holdPort: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    [{ port: 53, address: 'nowhere' }, 'ERR_INVALID_ARG_VALUE'],
    [{ port: 53, interface: 'nosuch0' }, 'ENODEV'],
    [null, 'ERR_INVALID_ARG_TYPE'],
  ])('rejects %j with %s', (options, code) => {
    expect(() => UdpSniffer.create(options as never)).toThrow(expect.objectContaining({ code }));
  });
});
