// Names given to PacketSocket.create are looked up as own properties only: 'constructor',
// 'toString' or '__proto__' are unknown names, not members of Object.prototype. Interface names
// are checked in JS before any socket exists: a NUL byte would otherwise cut the name short in C.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { native } from '../lib/native.js';
import { PacketSocket, type PacketSocketOptions } from '../lib/packet/index.js';
import { UdpSniffer } from '../lib/sniffer/udp-sniffer.js';

const packetSockets = () => readFileSync('/proc/net/packet', 'utf8').trim().split('\n').length;

/** The error PacketSocket.create throws; a socket that opens anyway is closed and fails the test. */
function openError(options: unknown): NodeJS.ErrnoException {
  const before = packetSockets();
  let socket: PacketSocket | undefined;
  try {
    socket = PacketSocket.create(options as PacketSocketOptions);
  } catch (error) {
    // Refused before any socket was created: nothing is left open in the kernel.
    expect(packetSockets()).toBeLessThanOrEqual(before);
    return error as NodeJS.ErrnoException;
  }
  const joined = socket.interfaceName;
  socket.close();
  throw new Error(`PacketSocket.create(${JSON.stringify(options)}) opened a socket (interfaceName ${joined})`);
}

const inherited = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('fanout.mode: only the documented modes', () => {
  it.each(inherited)('rejects mode %j like an unknown mode', (mode) => {
    const error = openError({ interface: 'lo', fanout: { group: 4242, mode } });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain("The property 'fanout.mode' must be one of: 'hash', 'load-balance', 'cpu'");
    expect(error.message).toContain(`'${mode}'`);
  });

  it('rejects a non-string mode whose string form is a mode name', () => {
    const error = openError({ interface: 'lo', fanout: { group: 4243, mode: ['hash'] } });
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain("'fanout.mode'");
    expect(error.message).toContain("Received [ 'hash' ]");
  });

  it('still accepts the documented modes', () => {
    for (const mode of ['hash', 'load-balance', 'cpu', 'rollover', 'random', 'queue'] as const) {
      PacketSocket.create({ interface: 'lo', ring: false, fanout: { group: 4244, mode } }).close();
    }
  });
});

describe('protocol: only the names in PROTOCOLS', () => {
  // Names are lower-cased first, so these are the ones that reached Object.prototype.
  it.each(['constructor', 'Constructor', 'CONSTRUCTOR', '__proto__', '__PROTO__'])(
    'rejects protocol %j like an unknown name',
    (protocol) => {
      const error = openError({ interface: 'lo', protocol });
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain("The argument 'protocol' must be an EtherType number or one of all, ip");
      expect(error.message).toContain(`'${protocol}'`);
    },
  );

  it('still accepts the names, in any case', () => {
    for (const protocol of ['all', 'ip', 'IPv6', 'ARP', 'lldp']) {
      PacketSocket.create({ interface: 'lo', ring: false, protocol: protocol as never }).close();
    }
  });
});

describe('interface names', () => {
  it.each(['lo\0junk', 'lo\0', '\0lo', '\0'])('rejects %j (a NUL byte) before any socket exists', (name) => {
    const error = openError({ interface: name });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain("The argument 'interface' must not contain NUL bytes");
    expect(error.message).toContain(`Received ${inspect(name)}`); // as Node shows it: '\x00' for the NUL
  });

  it.each([
    ['an empty name', ''],
    ['a 16-byte name', 'x'.repeat(16)],
    ['a 15-character name of 16 bytes', `${'x'.repeat(14)}é`],
  ])('rejects %s before any socket exists', (_what, name) => {
    const error = openError({ interface: name });
    expect(error).toBeInstanceOf(RangeError);
    expect(error.code).toBe('ERR_OUT_OF_RANGE');
    expect(error.message).toContain('The value of "interface" is out of range. It must be 1 to 15 bytes long');
    expect(error.message).toContain(`Received '${name}'`);
  });

  it('are refused with a NUL byte by the native lookup every caller shares (UdpSniffer too)', () => {
    expect(() => native.ifNameToIndex('lo\0junk')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: 'interface name must not contain NUL bytes' }),
    );
    expect(() => UdpSniffer.create({ port: 9, interface: 'lo\0junk' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('still opens on lo and reports the name as given', () => {
    const socket = PacketSocket.create({ interface: 'lo', ring: false });
    try {
      expect(socket.interfaceName).toBe('lo');
    } finally {
      socket.close();
    }
  });
});
