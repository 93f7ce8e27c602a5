// Property tests (fast-check) of every option parser with random values: PacketSocket.create,
// UdpLiteSocket.create, UnixDatagramSocket.create/bind, getsockopt/setsockopt, setCongestion.
// Each either succeeds or throws a documented error: TypeError/RangeError with a Node ERR_* code,
// or a system error with `code`, `errno` and `syscall` (ENODEV for an interface that is not there,
// ENOPROTOOPT for an option the socket lacks...). Whatever succeeded is closed again.

import { once } from 'node:events';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfValidationError } from '../lib/bpf/index.js';
import { getsockopt, setCongestion, setsockopt } from '../lib/index.js';
import { constants } from '../lib/native.js';
import { PacketSocket } from '../lib/packet/index.js';
import { UdpLiteSocket } from '../lib/udplite/index.js';
import { UnixDatagramSocket } from '../lib/unix/index.js';
import { anything } from './helpers/fuzz.js';

const runs = { numRuns: 300 };

/** 'ok', or the documented error's code; fails the property on anything undocumented. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof BpfValidationError) return 'BpfValidationError';
    const e = error as NodeJS.ErrnoException;
    if ((error instanceof TypeError || error instanceof RangeError) && /^ERR_[A-Z_]+$/.test(String(e.code)))
      return e.code as string;
    if (
      error instanceof Error &&
      /^E[A-Z0-9]+$/.test(String(e.code)) &&
      typeof e.errno === 'number' &&
      typeof e.syscall === 'string'
    ) {
      return e.code as string;
    }
    throw error;
  }
}

const closeIt = (s: unknown) => (s as { close(): void }).close();

/** Options objects: known keys with random values, plus unknown keys now and then. */
function optionsOf(keys: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const known = fc.record(
    Object.fromEntries(
      Object.entries(keys).map(([k, v]) => [
        k,
        fc.oneof({ weight: 4, arbitrary: v }, { weight: 1, arbitrary: anything }),
      ]),
    ),
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 8, arbitrary: known },
    { weight: 1, arbitrary: anything },
    {
      weight: 1,
      arbitrary: fc
        .tuple(known, fc.string({ minLength: 1, maxLength: 8 }), anything)
        .map(([o, k, v]) => ({ ...(o as object), [k]: v })),
    },
  );
}

const ring = fc.oneof(
  fc.boolean(),
  fc.record(
    {
      blockSize: fc.constantFrom(4096, 8192, 5000, 0, 1 << 20),
      blockCount: fc.integer({ min: -1, max: 4 }),
      frameSize: fc.constantFrom(16, 2048, 48, 4096, 3),
      retireTimeoutMs: fc.integer({ min: -1, max: 100 }),
      batchBlocks: fc.integer({ min: 0, max: 65 }),
    },
    { requiredKeys: [] },
  ),
);

describe('option parsers accept or throw documented errors only', () => {
  it('PacketSocket.create', () => {
    const options = optionsOf({
      mode: fc.constantFrom('raw', 'cooked', 'RAW', ''),
      protocol: fc.oneof(fc.constantFrom('all', 'ip', 'ipv6', 'arp', 'nope'), fc.integer({ min: -1, max: 0x10000 })),
      interface: fc.oneof(fc.constantFrom('lo', 'nope0', '', 'x'.repeat(20)), fc.integer({ min: -1, max: 3 })),
      filter: fc.constantFrom([{ code: 6, jt: 0, jf: 0, k: 0xffff }], [], [{ code: 0x20, jt: 0, jf: 0, k: 0 }], [null]),
      lockFilter: fc.boolean(),
      promiscuous: fc.boolean(),
      ignoreOutgoing: fc.boolean(),
      snapLength: fc.integer({ min: -1, max: 70000 }),
      ring,
      receiveBufferSize: fc.integer({ min: -1, max: 1 << 20 }),
      fanout: fc.record(
        { group: fc.integer({ min: -1, max: 70000 }), mode: fc.constantFrom('hash', 'cpu', 'lb', 'bogus') },
        { requiredKeys: [] },
      ),
    });
    const seen = new Set<string>();
    fc.assert(
      // Now and then a plain valid socket, so both outcomes are always exercised.
      fc.property(
        fc.oneof({ weight: 9, arbitrary: options }, { weight: 1, arbitrary: fc.constant({ interface: 'lo' }) }),
        (o) => {
          seen.add(outcome(() => closeIt(PacketSocket.create(o as never))));
        },
      ),
      runs,
    );
    // The generator reaches both sides: sockets that open, and typed refusals.
    expect(seen.has('ok')).toBe(true);
    expect(seen.has('ERR_INVALID_ARG_TYPE')).toBe(true);
  });

  it('UdpLiteSocket.create', () => {
    const options = optionsOf({
      family: fc.constantFrom(4, 6, 5, '4'),
      sendCoverage: fc.integer({ min: -1, max: 70000 }),
      receiveCoverage: fc.integer({ min: -1, max: 70000 }),
      receiveBufferSize: fc.integer({ min: -1, max: 1 << 20 }),
      sendBufferSize: fc.integer({ min: -1, max: 1 << 20 }),
      ipv6Only: fc.boolean(),
      reuseAddress: fc.boolean(),
      maxDatagramSize: fc.integer({ min: -1, max: 70000 }),
      batchSize: fc.integer({ min: -1, max: 2000 }),
    });
    const seen = new Set<string>();
    fc.assert(
      fc.property(options, fc.constantFrom(4, 6, undefined), (o, family) => {
        // Mostly with a valid family (required), so the other options get parsed too.
        const withFamily = family && o !== null && typeof o === 'object' ? { family, ...o } : o;
        seen.add(outcome(() => closeIt(UdpLiteSocket.create(withFamily as never))));
      }),
      runs,
    );
    expect(seen.has('ok')).toBe(true);
  });

  it('UnixDatagramSocket.create and bind', () => {
    const options = optionsOf({
      passCredentials: fc.boolean(),
      autobind: fc.boolean(),
      maxDatagramSize: fc.integer({ min: -1, max: 1 << 17 }),
      batchSize: fc.integer({ min: -1, max: 2000 }),
      sendBufferSize: fc.integer({ min: -1, max: 1 << 20 }),
    });
    const path = fc.oneof(
      fc.string({ maxLength: 120 }).map((s) => `@fuzz-${s}`),
      fc.constantFrom('', '@', '/nonexistent/dir/sock', 'x'.repeat(200), '/proc/version'),
      anything,
    );
    const seen = new Set<string>();
    fc.assert(
      fc.property(options, path, (o, p) => {
        seen.add(
          outcome(() => {
            const socket = UnixDatagramSocket.create(o as never);
            try {
              socket.bind(p as never);
            } finally {
              socket.close();
            }
          }),
        );
      }),
      runs,
    );
    expect(seen.has('ok')).toBe(true);
  });

  it('getsockopt / setsockopt arguments', () => {
    const socket = UdpLiteSocket.create({ family: 4 });
    const level = fc.oneof(fc.constantFrom(constants.SOL_SOCKET, constants.IPPROTO_IP, 136, 6), anything);
    const name = fc.oneof(fc.integer({ min: -1, max: 70 }), anything);
    const value = fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.string({ maxLength: 20 }),
      fc.uint8Array({ maxLength: 64 }),
      anything,
    );
    const kind = fc.oneof(fc.constantFrom('int', 'string', 'bytes'), anything);
    // SO_* options that would change how this test process behaves are left alone.
    const harmless = (n: unknown, l: unknown) =>
      !(l === constants.SOL_SOCKET && (n === constants.SO_LINGER || n === 26 || n === 44));
    fc.assert(
      fc.property(
        level,
        name,
        value,
        kind,
        fc.option(fc.integer({ min: -1, max: 300 }), { nil: undefined }),
        (l, n, v, k, size) => {
          if (!harmless(n, l)) return;
          outcome(() => setsockopt(socket, l as never, n as never, v as never));
          outcome(() => getsockopt(socket, l as never, n as never, k as never, size as never));
          outcome(() => getsockopt(anythingTarget(v), constants.SOL_SOCKET, constants.SO_TYPE, 'int'));
        },
      ),
      { numRuns: 500 },
    );
    socket.close();
  });

  describe('setCongestion', () => {
    let server: net.Server;
    let client: net.Socket;
    beforeAll(async () => {
      server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1');
      await once(server, 'listening');
      client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      await once(client, 'connect');
    });
    afterAll(() => {
      client.destroy();
      server.close();
    });

    it('names', () => {
      const name = fc.oneof(
        fc.constantFrom('reno', 'cubic', '', 'x'.repeat(16), 'nope', 'reno\0', 'ré'),
        fc.string({ maxLength: 20 }),
        anything,
      );
      const seen = new Set<string>();
      fc.assert(
        fc.property(name, (n) => {
          seen.add(outcome(() => setCongestion(client, n as never)));
        }),
        runs,
      );
      expect(seen.has('ok')).toBe(true);
      expect(seen.has('ENOENT')).toBe(true);
    });
  });
});

/** A socket target made from a random value (a descriptor number, an object...). */
function anythingTarget(value: unknown): never {
  return (typeof value === 'number' ? value % 1024 : value) as never;
}
