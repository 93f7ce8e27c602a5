// UDP-Lite sockets (udplite(7), RFC 3828): round trips, checksum coverage as the kernel applies it
// on the wire and on receive, damaged datagrams made by hand on a raw socket, a Python peer, every
// bad input, and kernels without UDP-Lite (Linux >= 7.1), forced here with a seccomp filter.
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getsockopt, setsockopt } from '../lib/core/sockopt.js';
import { buildUdpLiteDatagram, decodeUdpLite } from '../lib/decode/index.js';
import {
  UDPLITE_RECV_CSCOV,
  UDPLITE_SEND_CSCOV,
  type UdpLiteMessage,
  UdpLiteSocket,
  type UdpLiteSocketOptions,
  udpLiteSupported,
} from '../lib/udplite/index.js';
import { run, tsxNode } from './helpers/netns.js';
import { LOOPBACK, RawUdpLite, udpLiteCounter } from './helpers/udplite-raw.js';

const helpers = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers');
const UNAVAILABLE = /UDP-Lite is not available in this kernel/;
const families = [4, 6] as const;

/** Collects 'message' events until one carries `marker`; returns everything received before it. */
async function receivedBefore(socket: UdpLiteSocket, marker: string, timeoutMs = 2000): Promise<string[]> {
  const seen: string[] = [];
  let onMessage: (m: UdpLiteMessage) => void = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`marker ${marker} never arrived; got ${seen}`)), timeoutMs);
      onMessage = (m) => {
        const text = m.data.toString();
        if (text === marker) {
          clearTimeout(timer);
          resolve();
        } else {
          seen.push(text);
        }
      };
      socket.on('message', onMessage);
    });
  } finally {
    socket.off('message', onMessage);
  }
  return seen;
}

async function boundPair(family: 4 | 6, receiver: Partial<UdpLiteSocketOptions> = {}) {
  const server = UdpLiteSocket.create({ family, ...receiver });
  server.bind(0, LOOPBACK[family]);
  const client = UdpLiteSocket.create({ family });
  client.bind(0, LOOPBACK[family]);
  return { server, client, port: server.address().port };
}

describe('UdpLiteSocket.create checks its options before any system call', () => {
  const bad: [string, unknown, string][] = [
    ['no options', undefined, 'ERR_INVALID_ARG_TYPE'],
    ['family 5', { family: 5 }, 'ERR_INVALID_ARG_VALUE'],
    ["family 'udp4'", { family: 'udp4' }, 'ERR_INVALID_ARG_VALUE'],
    ['sendCoverage -1', { family: 4, sendCoverage: -1 }, 'ERR_OUT_OF_RANGE'],
    ['sendCoverage 8.5', { family: 4, sendCoverage: 8.5 }, 'ERR_OUT_OF_RANGE'],
    ['sendCoverage 65536', { family: 4, sendCoverage: 65536 }, 'ERR_OUT_OF_RANGE'],
    ['sendCoverage NaN', { family: 4, sendCoverage: Number.NaN }, 'ERR_OUT_OF_RANGE'],
    ["sendCoverage '8'", { family: 4, sendCoverage: '8' }, 'ERR_INVALID_ARG_TYPE'],
    ['receiveCoverage -8', { family: 6, receiveCoverage: -8 }, 'ERR_OUT_OF_RANGE'],
    ['receiveCoverage 1e6', { family: 6, receiveCoverage: 1e6 }, 'ERR_OUT_OF_RANGE'],
    ['receiveCoverage Infinity', { family: 6, receiveCoverage: Infinity }, 'ERR_OUT_OF_RANGE'],
    ['receiveCoverage null', { family: 6, receiveCoverage: null }, 'ERR_INVALID_ARG_TYPE'],
    ['receiveBufferSize 0', { family: 4, receiveBufferSize: 0 }, 'ERR_OUT_OF_RANGE'],
    ['sendBufferSize 1.5', { family: 4, sendBufferSize: 1.5 }, 'ERR_OUT_OF_RANGE'],
    ['maxDatagramSize 0', { family: 4, maxDatagramSize: 0 }, 'ERR_OUT_OF_RANGE'],
    ['maxDatagramSize 65536', { family: 4, maxDatagramSize: 65536 }, 'ERR_OUT_OF_RANGE'],
    ['batchSize 1025', { family: 4, batchSize: 1025 }, 'ERR_OUT_OF_RANGE'],
    ['ipv6Only on IPv4', { family: 4, ipv6Only: true }, 'ERR_INVALID_ARG_VALUE'],
    ["reuseAddress 'yes'", { family: 4, reuseAddress: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
  ];
  it.each(bad)('%s → %s', (_, options, code) => {
    const error = (() => {
      try {
        UdpLiteSocket.create(options as never);
      } catch (e) {
        return e as NodeJS.ErrnoException;
      }
    })();
    expect(error?.code).toBe(code);
    expect(error).toBeInstanceOf(code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError);
  });
});

describe('on a kernel without UDP-Lite (made so by a seccomp filter)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'rawsock-udplite-'));
    // gcc is there wherever the addon builds (node-gyp needs it).
    execFileSync('gcc', ['-O2', '-o', path.join(tmp, 'udplite-off'), path.join(helpers, 'udplite-off.c')]);
  });

  it('udpLiteSupported() is false and create() fails with EPROTONOSUPPORT saying why', async () => {
    const result = await run(path.join(tmp, 'udplite-off'), [
      process.execPath,
      ...tsxNode,
      path.join(helpers, 'udplite-probe.ts'),
    ]);
    expect(result.stderr).toBe('');
    const probe = JSON.parse(result.stdout);
    expect(probe.supported).toEqual({ 4: false, 6: false });
    for (const family of families) {
      expect(probe.create[family]).toEqual({
        code: 'EPROTONOSUPPORT',
        errno: -93,
        syscall: 'socket',
        message: expect.stringMatching(UNAVAILABLE),
      });
      expect(probe.create[family].message).toMatch(/^EPROTONOSUPPORT: protocol not supported, socket: /);
    }
    expect(probe.udpPort).toBeGreaterThan(0);
  });

  if (udpLiteSupported()) {
    // (On a kernel without UDP-Lite the run in progress is that run already.)
    it('this whole file passes there too, asserting that error instead of skipping', async () => {
      const report = path.join(tmp, 'report.json');
      const vitest = path.join(helpers, '..', '..', 'node_modules', 'vitest', 'vitest.mjs');
      const result = await run(
        path.join(tmp, 'udplite-off'),
        [process.execPath, vitest, 'run', fileURLToPath(import.meta.url), '--reporter=json', `--outputFile=${report}`],
        // A whole vitest run: seconds normally, a minute or more under the ASan build.
        { timeoutMs: 240_000 },
      );
      expect(result.signal, `the nested run was killed; its stderr:\n${result.stderr}`).toBe(null);
      const { success, testResults } = JSON.parse(readFileSync(report, 'utf8'));
      const tests: { title: string; status: string }[] = testResults[0].assertionResults;
      expect(success, result.stderr).toBe(true);
      expect(tests.every((t) => t.status === 'passed')).toBe(true);
      const titles = tests.map((t) => t.title);
      expect(titles).toContain('IPv4: create() fails with EPROTONOSUPPORT saying UDP-Lite is not available');
      expect(titles).toContain('IPv6: create() fails with EPROTONOSUPPORT saying UDP-Lite is not available');
      expect(titles.some((t) => t.includes('round-trips'))).toBe(false);
    }, 300_000);
  }

  it('the same probe without the filter finds UDP-Lite exactly when this kernel has it', async () => {
    const result = await run(process.execPath, [...tsxNode, path.join(helpers, 'udplite-probe.ts')]);
    const probe = JSON.parse(result.stdout);
    const here = udpLiteSupported();
    expect(probe.supported[4]).toBe(here);
    expect(probe.create[4] === null).toBe(here);
  });
});

if (!udpLiteSupported()) {
  // Linux >= 7.1: the feature tests below cannot run; what users get instead is asserted here.
  describe('this kernel has no UDP-Lite', () => {
    it.each(families)('IPv%i: create() fails with EPROTONOSUPPORT saying UDP-Lite is not available', (family) => {
      expect(() => UdpLiteSocket.create({ family })).toThrow(
        expect.objectContaining({
          code: 'EPROTONOSUPPORT',
          syscall: 'socket',
          message: expect.stringMatching(UNAVAILABLE),
        }),
      );
    });
  });
} else {
  describe('UdpLiteSocket', () => {
    describe.each(families)('IPv%i', (family) => {
      it('round-trips through an async iterator and message events', async () => {
        const { server, client, port } = await boundPair(family);
        const echoed = once(client, 'message') as Promise<[UdpLiteMessage]>;
        const sent = await client.send('ping', port, LOOPBACK[family]);
        expect(sent).toBe(4);
        for await (const message of server) {
          expect(message).toEqual({
            data: Buffer.from('ping'),
            address: LOOPBACK[family],
            family: family === 4 ? 'IPv4' : 'IPv6',
            port: client.address().port,
            truncated: false,
            size: 4,
          });
          await server.send(Buffer.concat([Buffer.from('pong:'), message.data]), message.port, message.address);
          break;
        }
        const [reply] = await echoed;
        expect(reply.data.toString()).toBe('pong:ping');
        expect(reply.port).toBe(port);
        expect(server.address()).toEqual({ address: LOOPBACK[family], family: `IPv${family}`, port });
        server.close();
        client.close();
      });

      it('connect() sets the default peer; disconnect() forgets it', async () => {
        const { server, client, port } = await boundPair(family);
        const connected = once(client, 'connect');
        expect(client.connect(port, LOOPBACK[family])).toBe(client);
        await connected;
        expect(client.remoteAddress()).toEqual({ address: LOOPBACK[family], family: `IPv${family}`, port });
        const received = once(server, 'message') as Promise<[UdpLiteMessage]>;
        expect(client.trySend('connected')).toBe(true);
        expect((await received)[0].data.toString()).toBe('connected');
        expect(client.disconnect()).toBe(client);
        expect(() => client.remoteAddress()).toThrow(
          expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED', message: 'Not connected' }),
        );
        await expect(client.send('nowhere')).rejects.toMatchObject({ code: 'EDESTADDRREQ', syscall: 'sendmsg' });
        server.close();
        client.close();
      });

      it('reports a datagram larger than maxDatagramSize as truncated, never silently cut', async () => {
        const { server, client, port } = await boundPair(family, { maxDatagramSize: 16 });
        const loop = server.messages();
        await client.send(Buffer.alloc(100, 7), port, LOOPBACK[family]);
        await client.send('small', port, LOOPBACK[family]);
        const big = (await loop.next()).value as UdpLiteMessage;
        expect(big.truncated).toBe(true);
        expect(big.size).toBe(100);
        expect(big.data).toEqual(Buffer.alloc(16, 7));
        const small = (await loop.next()).value as UdpLiteMessage;
        expect(small).toMatchObject({ data: Buffer.from('small'), truncated: false, size: 5 });
        await loop.return?.();
        server.close();
        client.close();
      });
    });

    it('delivers a burst of unawaited sends completely and in order, each payload its own buffer', async () => {
      const { server, client, port } = await boundPair(4, { receiveBufferSize: 4 << 20, batchSize: 8 });
      const count = 2000;
      const sends: Promise<number>[] = [];
      for (let i = 0; i < count; i++) sends.push(client.send(`${i}`, port));
      await Promise.all(sends);
      const got: Buffer[] = [];
      for await (const message of server) {
        got.push(message.data);
        if (got.length === count) break;
      }
      expect(got.map((b) => Number(b.toString()))).toEqual([...Array(count).keys()]);
      // Views of different datagrams never share bytes, so none was overwritten by a later batch.
      expect(got[0].toString()).toBe('0');
      server.close();
      client.close();
    });

    it('an AbortSignal ends a receive loop with an AbortError', async () => {
      const { server } = await boundPair(6);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const loop = async () => {
        for await (const _ of server.messages({ signal: controller.signal })) {
          // nothing arrives
        }
      };
      await expect(loop()).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      server.close();
    });

    it('close() ends receive loops cleanly', async () => {
      const { server } = await boundPair(4);
      const loop = server.messages();
      setTimeout(() => server.close(), 10);
      expect(await loop.next()).toEqual({ value: undefined, done: true });
    });

    it('asks the kernel for a receive buffer (SO_RCVBUFFORCE, doubled by the kernel)', () => {
      const socket = UdpLiteSocket.create({ family: 4, receiveBufferSize: 3 << 20 });
      expect(socket.receiveBufferSize).toBe(6 << 20); // above net.core.rmem_max: FORCE worked
      socket.sendBufferSize = 1 << 20;
      expect(socket.sendBufferSize).toBe(2 << 20);
      socket.close();
    });

    describe('checksum coverage options', () => {
      // udplite(7): 0 stays 0 (whole datagram), 1..7 become 8, the rest is stored as given.
      const stored: [number, number][] = [
        [0, 0],
        [1, 8],
        [7, 8],
        [8, 8],
        [20, 20],
        [1500, 1500],
        [65535, 65535],
      ];

      it.each(stored)('sendCoverage %i reads back from the kernel as %i', (set, read) => {
        const socket = UdpLiteSocket.create({ family: 4, sendCoverage: set });
        expect(socket.sendCoverage).toBe(read);
        expect(getsockopt(socket, 136, UDPLITE_SEND_CSCOV, 'int')).toBe(read);
        socket.sendCoverage = 12;
        expect(socket.sendCoverage).toBe(12);
        socket.close();
      });

      it.each(stored)('receiveCoverage %i reads back from the kernel as %i', (set, read) => {
        const socket = UdpLiteSocket.create({ family: 6 });
        expect(socket.receiveCoverage).toBeUndefined(); // never set
        socket.receiveCoverage = set;
        expect(socket.receiveCoverage).toBe(read);
        expect(getsockopt(socket, 136, UDPLITE_RECV_CSCOV, 'int')).toBe(read);
        socket.close();
      });

      it('reads are the kernel value, not a cached copy', () => {
        const socket = UdpLiteSocket.create({ family: 4, sendCoverage: 20, receiveCoverage: 30 });
        // Changed behind the object's back, through the descriptor:
        setsockopt(socket, 136, UDPLITE_SEND_CSCOV, 40);
        setsockopt(socket, 136, UDPLITE_RECV_CSCOV, 50);
        expect(socket.sendCoverage).toBe(40);
        expect(socket.receiveCoverage).toBe(50);
        socket.close();
      });

      const badValues: [unknown, string][] = [
        [-1, 'ERR_OUT_OF_RANGE'],
        [7.5, 'ERR_OUT_OF_RANGE'],
        [65536, 'ERR_OUT_OF_RANGE'],
        [Number.NaN, 'ERR_OUT_OF_RANGE'],
        ['16', 'ERR_INVALID_ARG_TYPE'],
        [null, 'ERR_INVALID_ARG_TYPE'],
      ];
      it.each(badValues)('%s is refused before setsockopt (the kernel would have clamped it)', (value, code) => {
        const socket = UdpLiteSocket.create({ family: 4, sendCoverage: 20, receiveCoverage: 30 });
        expect(() => {
          socket.sendCoverage = value as number;
        }).toThrow(expect.objectContaining({ code }));
        expect(() => {
          socket.receiveCoverage = value as number;
        }).toThrow(expect.objectContaining({ code }));
        expect(socket.sendCoverage).toBe(20);
        expect(socket.receiveCoverage).toBe(30);
        socket.close();
      });

      it('receiveCoverage cannot go back to "never set" once set (the kernel cannot clear it)', () => {
        const socket = UdpLiteSocket.create({ family: 4 });
        socket.receiveCoverage = undefined; // still never set: fine
        expect(socket.receiveCoverage).toBeUndefined();
        socket.receiveCoverage = 0;
        expect(socket.receiveCoverage).toBe(0); // set to 0, distinct from never set
        expect(() => {
          socket.receiveCoverage = undefined;
        }).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
        socket.close();
      });

      it('are UDP-Lite options: setting them on a plain UDP socket gives ENOPROTOOPT', async () => {
        const udp = dgram.createSocket('udp4');
        udp.bind(0, '127.0.0.1');
        await once(udp, 'listening');
        expect(() => setsockopt(udp, 136, UDPLITE_SEND_CSCOV, 8)).toThrow(
          expect.objectContaining({ code: 'ENOPROTOOPT' }),
        );
        udp.close();
      });
    });

    describe.each(families)('IPv%i on the wire', (family) => {
      let raw: RawUdpLite;
      beforeAll(() => {
        raw = new RawUdpLite(family).capture();
      });
      beforeEach(() => raw.clear());
      afterAll(() => raw.close());

      // Payload 100 bytes: the datagram is 108. RFC 3828 §3.1 / udp_send_skb: a coverage below
      // the length goes into the length field; 0 set explicitly is sent as 0; otherwise the field
      // is the datagram length.
      const wire: [string, number | undefined, number, number][] = [
        ['never set', undefined, 108, 108],
        ['0 (whole datagram)', 0, 0, 108],
        ['3 (stored as 8)', 3, 8, 8],
        ['20', 20, 20, 20],
        ['108 (the length)', 108, 108, 108],
        ['500 (beyond the length)', 500, 108, 108],
      ];
      it.each(wire)(
        'send coverage %s (set: %s) → header field %i, checksum over %i bytes',
        async (_, set, field, covered) => {
          const { server, client, port } = await boundPair(family);
          if (set !== undefined) client.sendCoverage = set;
          const payload = Buffer.alloc(100, 0xa5);
          const received = once(server, 'message') as Promise<[UdpLiteMessage]>;
          await client.send(payload, port, LOOPBACK[family]);
          const segment = await raw.next(port);
          const decoded = decodeUdpLite(segment, { source: LOOPBACK[family], destination: LOOPBACK[family] });
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          expect(decoded.coverage).toBe(field);
          expect(decoded.coveredLength).toBe(covered);
          expect(decoded.checksumValid).toBe(true);
          expect(decoded.sourcePort).toBe(client.address().port);
          expect((await received)[0].data).toEqual(payload);
          server.close();
          client.close();
        },
      );

      // udp_queue_rcv_one_skb: the RECV_CSCOV check runs only once the option was set; 0 drops
      // every partially covered datagram, N drops coverage < N; full coverage always passes.
      const accept: [string, number | undefined, number, boolean][] = [
        ['never set', undefined, 12, true],
        ['0', 0, 12, false],
        ['0', 0, 0, true],
        ['20', 20, 12, false],
        ['20', 20, 20, true],
        ['20', 20, 24, true],
        ['20', 20, 0, true],
        ['3 (stored as 8)', 3, 8, true],
      ];
      it.each(accept)(
        'receive coverage %s (set: %s), datagram coverage %i (0 = full) → delivered: %s',
        async (_, minimum, coverage, delivered) => {
          const { server, client, port } = await boundPair(family, { receiveCoverage: minimum });
          const marker = UdpLiteSocket.create({ family });
          const before = udpLiteCounter(family, 'InErrors');
          client.sendCoverage = coverage;
          await client.send('0123456789abcdefghijklmnopqrstuvwxyz', port, LOOPBACK[family]);
          await marker.send('marker', port, LOOPBACK[family]);
          const seen = await receivedBefore(server, 'marker');
          expect(seen).toEqual(delivered ? ['0123456789abcdefghijklmnopqrstuvwxyz'] : []);
          expect(udpLiteCounter(family, 'InErrors') - before).toBe(delivered ? 0 : 1);
          for (const s of [server, client, marker]) s.close();
        },
      );

      // Datagrams made by hand: 8-byte header + 32-byte payload, coverage 16 (header + 8 payload
      // bytes), correct checksum; then one byte flipped outside or inside the covered part.
      const damage: [string, number | null, boolean][] = [
        ['intact', null, true],
        ['damaged outside its coverage (payload byte 20)', 20, true],
        ['damaged inside its coverage (payload byte 3)', 3, false],
      ];
      it.each(damage)('a partially covered datagram %s (flipped: %s) → delivered: %s', async (_, flip, delivered) => {
        const { server, port } = await boundPair(family);
        const marker = UdpLiteSocket.create({ family });
        const payload = Buffer.from('covered!then-the-uncovered-bytes');
        const segment = buildUdpLiteDatagram({
          source: LOOPBACK[family],
          destination: LOOPBACK[family],
          sourcePort: 40000,
          destinationPort: port,
          payload,
          coverage: 16,
        });
        if (flip !== null) segment[8 + flip] ^= 0x20;
        const before = udpLiteCounter(family, 'InCsumErrors');
        raw.send(segment);
        await marker.send('marker', port, LOOPBACK[family]);
        const seen = await receivedBefore(server, 'marker');
        expect(seen).toEqual(delivered ? [segment.subarray(8).toString()] : []);
        expect(udpLiteCounter(family, 'InCsumErrors') - before).toBe(delivered ? 0 : 1);
        server.close();
        marker.close();
      });

      it('interoperates with a Python UDP-Lite peer both ways, coverage included', async () => {
        // The peer accepts coverage >= 12 and answers with coverage 10.
        const peer = spawn('python3', [path.join(helpers, 'udplite-peer.py'), `${family}`, '10', '12', '1']);
        const lines = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
        const { port: peerPort } = JSON.parse((await lines.next()).value);
        const socket = UdpLiteSocket.create({ family });
        socket.bind(0, LOOPBACK[family]);
        const echo = once(socket, 'message') as Promise<[UdpLiteMessage]>;
        socket.sendCoverage = 9; // below the peer's minimum: its kernel drops this one
        await socket.send('too little coverage', peerPort, LOOPBACK[family]);
        socket.sendCoverage = 12;
        await socket.send('hello python', peerPort, LOOPBACK[family]);
        expect(JSON.parse((await lines.next()).value)).toEqual({
          data: 'hello python',
          address: LOOPBACK[family],
          port: socket.address().port,
        });
        const [reply] = await echo;
        expect(reply).toMatchObject({
          data: Buffer.from('echo:hello python'),
          port: peerPort,
          address: LOOPBACK[family],
        });
        // What the peer sent carried its coverage of 10 in the header.
        const header = decodeUdpLite(await raw.next(socket.address().port));
        expect(header.ok && header.coverage).toBe(10);
        const [code] = await once(peer, 'exit');
        expect(code).toBe(0);
        socket.close();
      });
    });

    describe('errors are Node-style and reach the caller', () => {
      it('EMSGSIZE, ECONNREFUSED and EADDRINUSE reject with code, errno and syscall', async () => {
        const socket = UdpLiteSocket.create({ family: 4 });
        await expect(socket.send(Buffer.alloc(70_000), 9)).rejects.toMatchObject({
          code: 'EMSGSIZE',
          errno: -90,
          syscall: 'sendmsg',
          message: 'EMSGSIZE: message too long, sendmsg',
        });
        // Nobody listens on port 9: the ICMP port unreachable fails the next send on a connected socket.
        socket.connect(9);
        await socket.send('first');
        await new Promise((resolve) => setTimeout(resolve, 20));
        await expect(socket.send('second')).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'sendmsg' });
        const { server, port } = await boundPair(4);
        const other = UdpLiteSocket.create({ family: 4 });
        // bind() is synchronous (docs/sockets.md): the kernel's refusal throws.
        expect(() => other.bind(port, '127.0.0.1')).toThrow(
          expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
        );
        for (const s of [socket, server, other]) s.close();
      });

      it("the receive path's errors arrive as 'error' events and receiving goes on (ECONNREFUSED)", async () => {
        const { server, client, port } = await boundPair(4);
        client.connect(9); // nobody listens there
        const messages: string[] = [];
        client.on('message', (m: UdpLiteMessage) => messages.push(m.data.toString()));
        const failed = once(client, 'error') as Promise<[NodeJS.ErrnoException]>;
        await client.send('anyone?');
        const [error] = await failed;
        expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'recvmsg', message: expect.any(String) });
        // The socket still receives after the error.
        client.connect(port);
        const arrived = once(client, 'message');
        await server.send('still here', client.address().port);
        await arrived;
        expect(messages).toEqual(['still here']);
        server.close();
        client.close();
      });

      it("bind() emits 'listening' once bound", async () => {
        const socket = UdpLiteSocket.create({ family: 6 });
        const listening = once(socket, 'listening');
        socket.bind();
        await listening;
        expect(socket.address()).toMatchObject({ address: '::', family: 'IPv6', port: expect.any(Number) });
        expect(socket.address().port).toBeGreaterThan(0);
        socket.close();
      });

      it('bad arguments throw before any system call', async () => {
        const socket = UdpLiteSocket.create({ family: 4 });
        const bad: [() => unknown, string][] = [
          [() => socket.bind(-1), 'ERR_OUT_OF_RANGE'],
          [() => socket.bind(65536), 'ERR_OUT_OF_RANGE'],
          [() => socket.bind('80' as never), 'ERR_INVALID_ARG_TYPE'],
          [() => socket.bind(0, '::1'), 'ERR_INVALID_ARG_VALUE'],
          [() => socket.bind(0, 42 as never), 'ERR_INVALID_ARG_TYPE'],
          [() => socket.connect(undefined as never), 'ERR_INVALID_ARG_TYPE'],
          [() => socket.connect(0), 'ERR_OUT_OF_RANGE'],
          [() => socket.send('x', 0), 'ERR_OUT_OF_RANGE'],
          [() => socket.send('x', 1.5), 'ERR_OUT_OF_RANGE'],
          [() => socket.send('x', 53, 'example.com'), 'ERR_INVALID_ARG_VALUE'],
          [() => socket.send(42 as never, 53), 'ERR_INVALID_ARG_TYPE'],
          [() => socket.trySend({} as never, 53), 'ERR_INVALID_ARG_TYPE'],
          [
            () => {
              socket.receiveBufferSize = -1;
            },
            'ERR_OUT_OF_RANGE',
          ],
        ];
        for (const [call, code] of bad) expect(call).toThrow(expect.objectContaining({ code }));
        expect(socket.address().port).toBe(0); // nothing got bound
        socket.close();
      });

      it('a closed socket says so', () => {
        const socket = UdpLiteSocket.create({ family: 6 });
        socket.close();
        socket.close(); // twice is fine
        const closed = expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' });
        expect(() => socket.send('x', 9)).toThrow(closed);
        expect(() => socket.sendCoverage).toThrow(closed);
        expect(() => socket.receiveCoverage).toThrow(closed);
        expect(() => socket.bind()).toThrow(closed);
        expect(() => socket.address()).toThrow(closed);
        expect(socket.closed).toBe(true);
      });
    });
  });
}
