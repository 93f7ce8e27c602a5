// The one set of argument checks (lib/core/validate.ts): the same codes and the same words as
// Node's own validators, compared with errors Node itself throws, and used by every socket.
import dns from 'node:dns';
import { closeSync, readdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkBoolean,
  checkBufferSize,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkString,
  invalidArgType,
  optionalBoolean,
  optionalInteger,
} from '../lib/core/validate.js';
import { PingSocket } from '../lib/icmp/index.js';
import { constants, PacketSocket, UdpLiteSocket, UdpSniffer, UnixDatagramSocket } from '../lib/index.js';
import { RawIpSocket } from '../lib/ip/index.js';
import { native } from '../lib/native.js';

const openFds = () => readdirSync('/proc/self/fd').length;

/** The error `fn` throws (the test fails when it throws nothing). */
function thrown(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected a throw');
}

function same(ours: () => unknown, node: () => unknown): void {
  const a = thrown(ours);
  const b = thrown(node);
  expect({ name: a.name, code: a.code, message: a.message }).toEqual({
    name: b.name,
    code: b.code,
    message: b.message,
  });
}

describe('the validators word their errors as Node does', () => {
  it.each([
    ['a string for an integer', 'x'],
    ['an object for an integer', {}],
    ['null for an integer', null],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['below the range', -1],
    ['above the range', 2 ** 31],
  ])('checkInteger: %s (as fs.closeSync)', (_label, value) => {
    same(
      () => checkInteger('fd', value, 0, 2147483647),
      () => closeSync(value as number),
    );
  });

  it('checkBoolean on a property (as fs.rmSync options)', () => {
    same(
      () => checkBoolean('options.recursive', 'yes'),
      () => rmSync('/nonexistent-rawsock', { recursive: 'yes' as unknown as boolean }),
    );
  });

  it('checkOneOf (as dns.setDefaultResultOrder)', () => {
    same(
      () => checkOneOf('dnsOrder', 'x', ['verbatim', 'ipv4first', 'ipv6first']),
      () => dns.setDefaultResultOrder('x' as 'verbatim'),
    );
  });

  it('checkString and checkNumber', () => {
    expect(thrown(() => checkString('path', 5)).message).toBe(
      'The "path" argument must be of type string. Received type number (5)',
    );
    expect(thrown(() => checkNumber('options.interval', 0.5, 1, 10)).message).toBe(
      'The value of "options.interval" is out of range. It must be >= 1 && <= 10. Received 0.5',
    );
    expect(checkNumber('options.interval', 1.5, 1, 10)).toBe(1.5);
  });

  it('long values are cut as Node cuts them', () => {
    const long = 'x'.repeat(40);
    same(
      () => {
        throw invalidArgType('fd', 'of type number', long);
      },
      () => closeSync(long as unknown as number),
    );
  });

  it('optional values fall back only when undefined', () => {
    expect(optionalInteger('n', undefined, 7, 1, 10)).toBe(7);
    expect(optionalBoolean('b', undefined, true)).toBe(true);
    expect(thrown(() => optionalBoolean('b', null)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => optionalInteger('n', 11, 7, 1, 10)).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('buffer sizes are integers from 1 to 2^30', () => {
    expect(checkBufferSize('options.receiveBufferSize', 1 << 20)).toBe(1 << 20);
    for (const bad of [0, 2 ** 30 + 1, 1.5]) {
      expect(thrown(() => checkBufferSize('options.receiveBufferSize', bad)).code).toBe('ERR_OUT_OF_RANGE');
    }
  });

  it('option objects: not an object, an array, or an unknown key', () => {
    expect(thrown(() => checkOptions('options', 'lo', ['a'], 'f()')).message).toBe(
      `The "options" argument must be of type object. Received type string ('lo')`,
    );
    expect(thrown(() => checkOptions('options', [], ['a'], 'f()')).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => checkOptions('options', undefined, ['a'], 'f()')).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(checkOptions('options', undefined, ['a'], 'f()', true)).toEqual({});
    const unknown = thrown(() => checkOptions('options', { a: 1, recieveBufferSize: 5 }, ['a'], 'f()'));
    expect(unknown).toBeInstanceOf(TypeError);
    expect(unknown.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(unknown.message).toBe("The property 'options.recieveBufferSize' is not an option of f(). Received 5");
  });
});

describe('every socket refuses an unknown option before any system call', () => {
  const creators: [string, () => unknown][] = [
    ['UdpLiteSocket', () => UdpLiteSocket.create({ family: 4, recieveBufferSize: 1 } as never)],
    ['UnixDatagramSocket', () => UnixDatagramSocket.create({ recieveBufferSize: 1 } as never)],
    ['PacketSocket', () => PacketSocket.create({ iface: 'lo' } as never)],
    ['UdpSniffer', () => UdpSniffer.create({ port: 5, iface: 'lo' } as never)],
    ['PacketSocket ring', () => PacketSocket.create({ ring: { blocks: 4 } } as never)],
    ['PacketSocket fanout', () => PacketSocket.create({ fanout: { group: 1, modes: 'hash' } } as never)],
  ];
  it.each(creators)('%s', (_name, create) => {
    const before = openFds();
    const error = thrown(create);
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toMatch(/is not an option of/);
    expect(openFds()).toBe(before);
  });

  it('ICMP and raw IP sockets check their option values with the same validators', () => {
    expect(thrown(() => PingSocket.create({ family: 4, type: 'fast' as 'raw' })).message).toBe(
      "The property 'options.type' must be one of: 'auto', 'dgram', 'raw'. Received 'fast'",
    );
    expect(thrown(() => RawIpSocket.create({ family: 4, protocol: 256 })).message).toBe(
      'The value of "options.protocol" is out of range. It must be >= 1 && <= 255. Received 256',
    );
  });

  it('UDP-Lite: the same wording for a bad batch size', () => {
    expect(thrown(() => UdpLiteSocket.create({ family: 4, batchSize: 0 })).message).toBe(
      'The value of "options.batchSize" is out of range. It must be >= 1 && <= 1024. Received 0',
    );
  });
});

describe('the native reader options have one check (src-native UintOption)', () => {
  it('out of range and not a number, worded as in JS', () => {
    const handle = new native.SocketHandle(constants.AF_UNIX, constants.SOCK_DGRAM, 0);
    try {
      expect(thrown(() => handle.startReceiving({ slots: 0 }))).toMatchObject({
        code: 'ERR_OUT_OF_RANGE',
        message: 'The value of "slots" is out of range. It must be >= 1 && <= 1024',
      });
      expect(thrown(() => handle.startReceiving({ budget: 'many' as unknown as number }))).toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "budget" property must be of type number',
      });
      expect(thrown(() => native.packet.attachPacketReader(handle, { slots: 2000 } as never))).toMatchObject({
        code: 'ERR_OUT_OF_RANGE',
        message: 'The value of "slots" is out of range. It must be >= 1 && <= 1024',
      });
    } finally {
      handle.close();
    }
  });
});
