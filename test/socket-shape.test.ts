// One socket shape (docs/sockets.md), node:dgram's: create(), synchronous bind()/connect() that
// return the socket and throw, 'listening' / 'connect' / 'close' on the next tick, address() and
// remoteAddress() methods, send() that throws for bad arguments and rejects for the kernel,
// ref()/unref() that chain, and the old names as deprecated aliases that warn once per process.
import dgram from 'node:dgram';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PingSocket } from '../lib/icmp/index.js';
import { PacketSocket, UdpLiteSocket, UdpSniffer, UnixDatagramSocket } from '../lib/index.js';
import { RawIpSocket } from '../lib/ip/index.js';
import { run, tsxNode } from './helpers/netns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const abstractName = () => `@rawsock-shape-${process.pid}-${Math.random().toString(16).slice(2)}`;

/** Events of `emitter` in the order they come, from the moment this is called. */
function record(emitter: NodeJS.EventEmitter, events: string[]): string[] {
  const seen: string[] = [];
  for (const event of events) emitter.on(event, () => seen.push(event));
  return seen;
}

describe('node:dgram itself (the model)', () => {
  it("emits 'listening' asynchronously and throws ERR_SOCKET_DGRAM_NOT_CONNECTED from remoteAddress()", async () => {
    const socket = dgram.createSocket('udp4');
    expect(() => socket.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.close();
  });
});

describe('UdpLiteSocket', () => {
  it('bind() and connect() return the socket; their events come on the next tick', async () => {
    const server = UdpLiteSocket.create({ family: 4 });
    const client = UdpLiteSocket.create({ family: 4 });
    const serverEvents = record(server, ['listening']);
    const clientEvents = record(client, ['connect']);
    expect(server.bind(0, '127.0.0.1')).toBe(server);
    const port = server.address().port;
    expect(server.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    expect(() => client.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    expect(client.connect(port, '127.0.0.1')).toBe(client);
    expect(client.remoteAddress()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    expect([...serverEvents, ...clientEvents]).toEqual([]); // not yet: next tick
    await new Promise((resolve) => process.nextTick(resolve));
    expect(serverEvents).toEqual(['listening']);
    expect(clientEvents).toEqual(['connect']);
    expect(client.disconnect()).toBe(client);
    for (const s of [server, client]) s.close();
  });

  it('bind() throws what the kernel refuses', () => {
    const first = UdpLiteSocket.create({ family: 4 }).bind(0, '127.0.0.1');
    const second = UdpLiteSocket.create({ family: 4 });
    expect(() => second.bind(first.address().port, '127.0.0.1')).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
    );
    for (const s of [first, second]) s.close();
  });

  it('send(): bad arguments and a closed socket throw, the kernel rejects', async () => {
    const socket = UdpLiteSocket.create({ family: 4 });
    expect(() => socket.send(42 as never, 9)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const refused = socket.send('x'); // unconnected, no destination: EDESTADDRREQ from sendmsg
    await expect(refused).rejects.toMatchObject({ code: 'EDESTADDRREQ', syscall: 'sendmsg' });
    expect(await socket.send('x', 9)).toBe(1);
    expect(socket.ref()).toBe(socket);
    expect(socket.unref()).toBe(socket);
    const events = record(socket, ['close']);
    socket.close();
    socket.close();
    expect(events).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(events).toEqual(['close']);
    expect(() => socket.send('x', 9)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe('UnixDatagramSocket', () => {
  it("bind() and connect() return the socket, 'listening' / 'connect' on the next tick, address() and remoteAddress() are methods", async () => {
    const name = abstractName();
    const server = UnixDatagramSocket.create();
    const client = UnixDatagramSocket.create();
    expect(server.address()).toBeUndefined(); // unbound
    const serverEvents = record(server, ['listening']);
    const clientEvents = record(client, ['connect']);
    expect(server.bind(name)).toBe(server);
    expect(server.address()).toBe(name);
    expect(() => client.remoteAddress()).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED', message: 'Not connected' }),
    );
    expect(client.connect(name)).toBe(client);
    expect(client.remoteAddress()).toBe(name);
    expect(client.address()).toMatch(/^@[0-9a-f]{5}$/); // autobound by connect()
    expect([...serverEvents, ...clientEvents]).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(serverEvents).toEqual(['listening']);
    expect(clientEvents).toEqual(['connect']);
    expect(client.disconnect()).toBe(client);
    expect(() => client.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    for (const s of [server, client]) s.close();
  });

  it('the options every socket takes: maxDatagramSize, batchSize, coalesceMs, buffer sizes', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create({
      maxDatagramSize: 8,
      batchSize: 4,
      coalesceMs: 1,
      receiveBufferSize: 1 << 16,
      sendBufferSize: 1 << 15,
    }).bind(name);
    expect(rx.receiveBufferSize).toBeGreaterThanOrEqual(1 << 16);
    expect(rx.sendBufferSize).toBe(1 << 16); // doubled by the kernel
    expect(rx.maxSendSize).toBe((1 << 16) - 32);
    const tx = UnixDatagramSocket.create();
    const received = once(rx, 'message');
    await tx.send('0123456789', name);
    const [message] = (await received) as [{ data: Buffer; truncated: boolean; size: number }];
    expect(message.data.toString()).toBe('01234567');
    expect(message).toMatchObject({ truncated: true, size: 10 });
    for (const s of [rx, tx]) s.close();
  });

  it('send(): bad arguments and a closed socket throw, the kernel rejects', async () => {
    const socket = UnixDatagramSocket.create();
    expect(() => socket.send(42 as never, abstractName())).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => socket.send('x', '')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    await expect(socket.send('x', abstractName())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    socket.close();
    expect(() => socket.send('x', abstractName())).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => socket.trySend('x', abstractName())).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe('PacketSocket and UdpSniffer', () => {
  it('create() opens; send() throws bad arguments, ref()/unref() chain, close is idempotent', async () => {
    const socket = PacketSocket.create({ interface: 'lo', ring: false, sendBufferSize: 1 << 16 });
    expect(socket.sendBufferSize).toBe(1 << 17);
    expect(() => socket.send(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(socket.ref()).toBe(socket);
    expect(socket.unref()).toBe(socket);
    const events = record(socket, ['close']);
    socket.close();
    socket.close();
    await new Promise((resolve) => process.nextTick(resolve));
    expect(events).toEqual(['close']);
    expect(() => socket.send(Buffer.alloc(60))).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    const sniffer = UdpSniffer.create({ port: 9, interface: 'lo' });
    expect(sniffer.ref()).toBe(sniffer);
    expect(sniffer.unref()).toBe(sniffer);
    sniffer.close();
    sniffer.close();
  });
});

describe('deprecated names warn once per process (RAWSOCK_DEP0001, RAWSOCK_DEP0002)', () => {
  it('PacketSocket.open, UdpSniffer.open, Unix maxMessageSize and maxDatagramSize still work', async () => {
    const script = `
      import { PacketSocket, UdpSniffer, UnixDatagramSocket } from ${JSON.stringify(path.join(root, 'lib/index.ts'))};
      const warnings = [];
      process.on('warning', (w) => warnings.push({ name: w.name, code: w.code }));
      for (let i = 0; i < 3; i++) PacketSocket.open({ interface: 'lo', ring: false }).close();
      UdpSniffer.open({ port: 9, interface: 'lo' }).close();
      const unix = UnixDatagramSocket.create({ maxMessageSize: 16 });
      const sizes = [unix.maxDatagramSize, unix.maxDatagramSize, unix.maxSendSize];
      unix.close();
      setImmediate(() => console.log(JSON.stringify({ warnings, sizes })));
    `;
    const result = await run(process.execPath, [...tsxNode, '--input-type=module', '-e', script], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const { warnings, sizes } = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(warnings).toEqual([
      { name: 'DeprecationWarning', code: 'RAWSOCK_DEP0001' },
      { name: 'DeprecationWarning', code: 'RAWSOCK_DEP0002' },
    ]);
    expect(sizes[0]).toBe(sizes[2]);
    expect(sizes[1]).toBe(sizes[2]);
  });

  it('the old and the new name of one option together are refused', () => {
    expect(() => UnixDatagramSocket.create({ maxMessageSize: 16, maxDatagramSize: 16 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});

describe('a fresh socket shows only the listeners the user added', () => {
  const fresh: [string, () => { eventNames(): (string | symbol)[]; close(): void }][] = [
    ['UdpLiteSocket', () => UdpLiteSocket.create({ family: 4 })],
    ['UnixDatagramSocket', () => UnixDatagramSocket.create()],
    ['PacketSocket', () => PacketSocket.create({ interface: 'lo', ring: false })],
    ['UdpSniffer', () => UdpSniffer.create({ port: 9, interface: 'lo' })],
    ['PingSocket', () => PingSocket.create({ family: 4 })],
    ['RawIpSocket', () => RawIpSocket.create({ family: 4, protocol: 253 })],
  ];
  it.each(fresh)('%s', (_name, create) => {
    const socket = create() as unknown as NodeJS.EventEmitter & { close(): void };
    expect(socket.eventNames()).toEqual([]);
    expect(socket.listenerCount('newListener')).toBe(0);
    const added: (string | symbol)[] = [];
    socket.on('newListener', (event: string | symbol) => added.push(event)); // the user's own, untouched
    socket.on('error', () => {});
    expect(socket.eventNames()).toEqual(['newListener', 'error']);
    expect(added).toEqual(['error']);
    socket.removeAllListeners();
    expect(socket.eventNames()).toEqual([]);
    socket.close();
  });

  it('reading still starts with the first listener, also after removeAllListeners()', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create();
    const onMessage = () => {};
    rx.on('message', onMessage);
    rx.once('message', () => {});
    rx.removeAllListeners();
    expect(rx.eventNames()).toEqual([]);
    const received = once(rx, 'message') as Promise<[{ data: Buffer }]>;
    await tx.send('after removeAllListeners', name);
    expect((await received)[0].data.toString()).toBe('after removeAllListeners');
    expect(rx.eventNames()).toEqual([]); // once() took its listener away
    for (const s of [rx, tx]) s.close();
  });
});
