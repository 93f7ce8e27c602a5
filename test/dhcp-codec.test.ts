// The DHCP message codec: every named option both ways, long options (RFC 3396), overloaded
// sname/file fields (option 52), a typed error for each kind of bad input, random and mutated
// bytes, and a real busybox udhcpc DHCPDISCOVER captured off a veth.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { udpPort } from '../lib/bpf/builders.js';
import { decodeIPv4 } from '../lib/decode/ipv4.js';
import { decodeUdp } from '../lib/decode/udp.js';
import {
  DHCP_MINIMUM_LENGTH,
  type DhcpMessage,
  type DhcpOptions,
  DhcpParseError,
  decodeDhcpMessage,
  encodeDhcpMessage,
} from '../lib/dhcp/index.js';
import { type Packet, PacketSocket } from '../lib/packet/index.js';
import { mutated, onlyDocumentedErrors } from './helpers/fuzz.js';
import { PeerNetns } from './helpers/peer-netns.js';
import { waitUntil } from './helpers/wait.js';

const everyOption: DhcpOptions = {
  messageType: 'ack',
  subnetMask: '255.255.254.0',
  timeOffset: -3600,
  routers: ['192.0.2.1', '192.0.2.2'],
  dnsServers: ['198.51.100.53'],
  hostName: 'box',
  domainName: 'example.test',
  interfaceMtu: 1400,
  broadcastAddress: '192.0.3.255',
  ntpServers: ['192.0.2.123'],
  requestedAddress: '192.0.2.77',
  leaseTime: 86400,
  serverIdentifier: '192.0.2.1',
  parameterRequestList: [1, 3, 6, 121],
  message: 'all good',
  maxMessageSize: 1500,
  renewalTime: 43200,
  rebindingTime: 75600,
  vendorClassIdentifier: 'udhcp 1.35.0',
  clientIdentifier: Buffer.from([1, 2, 0, 0, 0, 0, 9]),
  other: new Map([
    [121, Buffer.from([24, 10, 0, 0, 192, 0, 2, 1])], // classless static route, kept as bytes
    [224, Buffer.alloc(0)],
  ]),
};

const base = {
  op: 'reply' as const,
  transactionId: 0xdeadbeef,
  clientHardwareAddress: '02:00:00:00:00:09',
  yourAddress: '192.0.2.77',
  serverAddress: '192.0.2.1',
};

/** A valid message with its options area replaced by `options` (raw bytes after the cookie). */
function withOptions(options: number[]): Buffer {
  const message = encodeDhcpMessage({ ...base, options: {}, minimumLength: 0 });
  return Buffer.concat([message.subarray(0, 240), Buffer.from(options)]);
}

describe('encode and decode', () => {
  it('round-trips every named option, unknown ones as bytes, and the BOOTP fields', () => {
    const bytes = encodeDhcpMessage({
      ...base,
      seconds: 3,
      broadcast: true,
      serverName: 'srv',
      bootFile: 'pxelinux.0',
      options: everyOption,
    });
    const decoded = decodeDhcpMessage(bytes);
    expect(decoded).toEqual({
      op: 'reply',
      hardwareType: 1,
      transactionId: 0xdeadbeef,
      seconds: 3,
      broadcast: true,
      clientAddress: '0.0.0.0',
      yourAddress: '192.0.2.77',
      serverAddress: '192.0.2.1',
      relayAddress: '0.0.0.0',
      clientHardwareAddress: '02:00:00:00:00:09',
      serverName: 'srv',
      bootFile: 'pxelinux.0',
      options: everyOption,
    } satisfies DhcpMessage);
    // Option 53 comes first, as udhcpc and dnsmasq put it; End closes the options.
    expect([...bytes.subarray(240, 243)]).toEqual([53, 1, 5]);
  });

  it('pads to 300 bytes (RFC 1542) with Pad after End', () => {
    const bytes = encodeDhcpMessage({
      op: 'request',
      transactionId: 1,
      clientHardwareAddress: '02:00:00:00:00:01',
      options: { messageType: 'discover' },
    });
    expect(bytes.length).toBe(DHCP_MINIMUM_LENGTH);
    expect([...bytes.subarray(240, 244)]).toEqual([53, 1, 1, 255]);
    expect(bytes.subarray(244).every((b) => b === 0)).toBe(true);
  });

  it('splits options over 255 bytes into instances and joins them again (RFC 3396)', () => {
    const long = Buffer.alloc(600, 7);
    const bytes = encodeDhcpMessage({ ...base, options: { other: new Map([[200, long]]) } });
    expect([bytes[240], bytes[241], bytes[240 + 257], bytes[240 + 258]]).toEqual([200, 255, 200, 255]);
    expect(decodeDhcpMessage(bytes).options.other?.get(200)).toEqual(long);
  });

  it('reads options from the file and sname fields under option 52', () => {
    const bytes = withOptions([53, 1, 2, 52, 1, 3, 255]);
    bytes.set([54, 4, 192, 0, 2, 1, 255], 108); // file: server identifier
    bytes.set([51, 4, 0, 0, 14, 16, 255], 44); // sname: lease time
    expect(decodeDhcpMessage(bytes)).toMatchObject({
      serverName: '',
      bootFile: '',
      options: { messageType: 'offer', serverIdentifier: '192.0.2.1', leaseTime: 3600 },
    });
  });

  it.each([
    ['fewer bytes than the fixed header', Buffer.alloc(239), 'truncated', 239],
    ['no magic cookie', Buffer.alloc(300, 1).fill(0, 0, 1).fill(2, 0, 1), 'bad-cookie', 236],
    ['op 3', Buffer.from(withOptions([255])).fill(3, 0, 1), 'malformed', 0],
    ['a hardware address length of 17', Buffer.from(withOptions([255])).fill(17, 2, 3), 'malformed', 2],
    ['an option without its length', withOptions([53]), 'truncated', 240],
    ['an option running past the end', withOptions([53, 1, 2, 6, 8, 1, 2, 3, 4]), 'truncated', 243],
    ['an unknown message type', withOptions([53, 1, 9, 255]), 'bad-option', 240],
    ['a 3-byte subnet mask', withOptions([1, 3, 255, 255, 0, 255]), 'bad-option', 240],
    ['a router list of 6 bytes', withOptions([3, 6, 1, 2, 3, 4, 5, 6, 255]), 'bad-option', 240],
    ['an overload value of 4', withOptions([52, 1, 4, 255]), 'bad-option', 240],
  ])('refuses %s with a DhcpParseError', (_what, bytes, reason, offset) => {
    const error = (() => {
      try {
        decodeDhcpMessage(bytes);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DhcpParseError);
    expect(error).toMatchObject({ code: 'ERR_RAWSOCK_DHCP_PARSE', reason, offset });
  });

  it.each([
    [{ ...base, op: 'x' }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, transactionId: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
    [{ ...base, clientHardwareAddress: 'zz' }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, yourAddress: '1.2.3' }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, serverName: 'x'.repeat(64) }, 'ERR_OUT_OF_RANGE'],
    [{ ...base, options: { messageType: 'hello' } }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, options: { messageType: 'constructor' } }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, options: { leaseTime: -1 } }, 'ERR_OUT_OF_RANGE'],
    [{ ...base, options: { routers: [] } }, 'ERR_INVALID_ARG_TYPE'],
    [{ ...base, options: { routers: ['::1'] } }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, options: { parameterRequestList: [0] } }, 'ERR_OUT_OF_RANGE'],
    [{ ...base, options: { other: new Map([[3, Buffer.alloc(4)]]) } }, 'ERR_INVALID_ARG_VALUE'],
    [{ ...base, options: { other: new Map([[256, Buffer.alloc(4)]]) } }, 'ERR_OUT_OF_RANGE'],
    [{ ...base, options: { clientIdentifier: 'x' } }, 'ERR_INVALID_ARG_TYPE'],
  ])('encodeDhcpMessage(%o) throws %s', (message, code) => {
    expect(() => encodeDhcpMessage(message as never)).toThrow(expect.objectContaining({ code }));
  });

  it('never fails on random or mutated bytes except with DhcpParseError', () => {
    const valid = [encodeDhcpMessage({ ...base, options: everyOption }), withOptions([53, 1, 2, 52, 1, 3, 255])];
    fc.assert(
      fc.property(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 600 })), (bytes) => {
        onlyDocumentedErrors(() => decodeDhcpMessage(bytes), [DhcpParseError]);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a real DHCPDISCOVER', () => {
  let pair: PeerNetns;
  beforeAll(async () => {
    pair = await PeerNetns.create({ peerAddress: false });
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('decodes what busybox udhcpc sends', async () => {
    const socket = PacketSocket.create({
      mode: 'cooked',
      protocol: 'ipv4',
      interface: pair.local,
      filter: udpPort(67, 'dst').toProgram({ framing: 'cooked' }),
    });
    const seen: Buffer[] = [];
    socket.on('packet', (packet: Packet) => {
      const ip = decodeIPv4(packet.data);
      const udp = ip.ok ? decodeUdp(ip.payload) : null;
      if (udp?.ok) seen.push(Buffer.from(udp.payload));
    });
    // -n: exit when no lease; -q: quit after; -t 1 -T 1: one discover, one second; -s: no script.
    const udhcpc = pair.spawn('busybox', [
      'udhcpc',
      '-i',
      pair.peer,
      '-n',
      '-q',
      '-t',
      '1',
      '-T',
      '1',
      '-s',
      '/bin/true',
      '-x',
      'hostname:peerbox',
      '-V',
      'rawsock-test',
    ]);
    try {
      expect(await waitUntil(() => seen.length > 0, 10_000)).toBe(true);
    } finally {
      udhcpc.kill();
      socket.close();
    }
    const discover = decodeDhcpMessage(seen[0] as Buffer);
    expect(discover).toMatchObject({
      op: 'request',
      hardwareType: 1,
      clientHardwareAddress: pair.peerMac,
      clientAddress: '0.0.0.0',
      yourAddress: '0.0.0.0',
      options: { messageType: 'discover', hostName: 'peerbox', vendorClassIdentifier: 'rawsock-test' },
    });
    expect(discover.options.clientIdentifier).toEqual(
      Buffer.from([1, ...pair.peerMac.split(':').map((h) => Number.parseInt(h, 16))]),
    );
    // busybox 1.35's default list: subnet, router, DNS, host name, domain, broadcast, NTP.
    expect(discover.options.parameterRequestList).toEqual([1, 3, 6, 12, 15, 28, 42]);
    expect((seen[0] as Buffer).length).toBeGreaterThanOrEqual(DHCP_MINIMUM_LENGTH);
  });
});
