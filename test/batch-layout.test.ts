// The batch layouts are defined once (src-native/batch_layout.h) and exported by the addon: these
// tests read real batches from the kernel with a bare SocketHandle, by field name only, and check
// that every named field holds what the kernel said (the datagram, its length, its sender, its
// control data, the packet's interface and EtherType), so a field moved in C++ alone fails here.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MESSAGE, messageCount, messageEntry, PACKET } from '../lib/core/batch-layout.js';
import { parseControlMessages } from '../lib/core/control-messages.js';
import { decodeInet, decodeUnix, encodeInet, encodeUnix } from '../lib/core/sockaddr.js';
import { constants, type NativeSocketHandle, native } from '../lib/native.js';
import { encodeLinkLayer } from '../lib/packet/link-address.js';
import { parseCredentials } from '../lib/unix/credentials.js';

/** The first batch `install` sees, once `start` was called and `trigger` sent something. */
function firstBatch<T>(install: (resolve: (value: T) => void) => void, trigger: () => void): Promise<T> {
  const got = new Promise<T>((resolve) => install(resolve));
  trigger();
  return got;
}

describe('the layouts', () => {
  it.each([
    ['message', MESSAGE],
    ['packet', PACKET],
  ] as const)('%s: every field has its own index inside the stride', (_name, layout) => {
    const { stride, ...fields } = layout as Record<string, number>;
    const indices = Object.entries(fields)
      .filter(([name]) => !name.startsWith('flag'))
      .map(([, index]) => index);
    expect(new Set(indices).size).toBe(indices.length);
    for (const index of indices) {
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(stride as number);
    }
  });

  it('the packet flags are distinct bits', () => {
    expect(PACKET.flagVlan & PACKET.flagStale).toBe(0);
    expect([PACKET.flagVlan, PACKET.flagStale].every((f) => f > 0 && (f & (f - 1)) === 0)).toBe(true);
  });
});

describe('onMessages batches (recvmmsg) are read by name', () => {
  it('a Unix datagram: its bytes, length, sender name and credentials', async () => {
    const receiver = new native.SocketHandle(constants.AF_UNIX, constants.SOCK_DGRAM, 0);
    const sender = new native.SocketHandle(constants.AF_UNIX, constants.SOCK_DGRAM, 0);
    const name = `@rawsock-layout-${process.pid}`;
    native.bind(receiver.fd, encodeUnix(name));
    native.bind(sender.fd, encodeUnix(`${name}-sender`));
    native.setsockopt(receiver.fd, constants.SOL_SOCKET, constants.SO_PASSCRED, 1);
    try {
      const { data, meta } = await firstBatch<{ data: Buffer; meta: Uint32Array }>(
        (resolve) => {
          receiver.onMessages = (data, meta) => {
            resolve({ data, meta });
            return false;
          };
          receiver.startReceiving({ slots: 4, slotSize: 64, controlSize: 64, flags: constants.MSG_TRUNC });
        },
        () => sender.send(Buffer.from('layout check'), encodeUnix(name)),
      );
      expect(meta.length).toBe(MESSAGE.stride);
      expect(messageCount(meta)).toBe(1);
      const entry = messageEntry(meta, 0);
      expect(data.subarray(entry.dataOffset, entry.dataOffset + entry.captured).toString()).toBe('layout check');
      expect(entry.length).toBe(12);
      expect(entry.flags & constants.MSG_TRUNC).toBe(0);
      expect(decodeUnix(data, entry.auxOffset, entry.addressLength)).toBe(`${name}-sender`);
      const credentials = parseCredentials(data, entry.auxOffset + entry.addressLength, entry.controlLength);
      expect(credentials?.pid).toBe(process.pid);
    } finally {
      receiver.close();
      sender.close();
    }
  });
});

describe('onErrorQueue batches are the message layout', () => {
  it('an ICMP port unreachable about a UDP datagram sent to a closed port', async () => {
    const closed = dgram.createSocket('udp4');
    closed.bind(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = closed.address().port;
    closed.close();
    const handle = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
    native.setsockopt(handle.fd, constants.IPPROTO_IP, constants.IP_RECVERR, 1);
    native.attachErrorQueue(handle);
    try {
      const { data, meta } = await firstBatch<{ data: Buffer; meta: Uint32Array }>(
        (resolve) => {
          handle.onMessages = () => true;
          handle.onErrorQueue = (data, meta) => {
            resolve({ data, meta });
            return true;
          };
          handle.startReceiving({ slots: 2, slotSize: 64 });
        },
        () => handle.send(Buffer.from('probe'), encodeInet(4, '127.0.0.1', port)),
      );
      const entry = messageEntry(meta, 0);
      expect(data.subarray(entry.dataOffset, entry.dataOffset + entry.captured).toString()).toBe('probe');
      expect(entry.flags & constants.MSG_ERRQUEUE).toBe(constants.MSG_ERRQUEUE);
      expect(decodeInet(data, entry.auxOffset, entry.addressLength)).toMatchObject({ address: '127.0.0.1', port });
      const control = parseControlMessages(data, entry.auxOffset + entry.addressLength, entry.controlLength);
      const record = control.find((c) => c.level === constants.IPPROTO_IP && c.type === constants.IP_RECVERR);
      expect(record?.data.readUInt32LE(0)).toBe(111); // ee_errno ECONNREFUSED
    } finally {
      handle.close();
    }
  });
});

describe('onPackets batches are read by name, on both packet readers', () => {
  const lo = native.ifNameToIndex('lo');
  const attach: [string, (handle: NativeSocketHandle) => void][] = [
    [
      'the TPACKET_V3 ring',
      (h) =>
        native.packet.attachRing(h, {
          blockSize: 1 << 16,
          blockCount: 4,
          frameSize: 2048,
          retireTimeoutMs: 1,
          snapLength: 65535,
          batchBlocks: 1,
        }),
    ],
    [
      'recvmmsg',
      (h) => native.packet.attachPacketReader(h, { slots: 8, slotSize: 2048, snapLength: 65535, budget: 1 }),
    ],
  ];

  it.each(attach)('%s: a UDP datagram on lo', async (_name, attachReader) => {
    const handle = new native.SocketHandle(constants.AF_PACKET, constants.SOCK_RAW, 0);
    const target = dgram.createSocket('udp4');
    target.bind(0, '127.0.0.1');
    await once(target, 'listening');
    const port = target.address().port;
    const sender = dgram.createSocket('udp4');
    const before = Date.now();
    try {
      attachReader(handle);
      native.bind(handle.fd, encodeLinkLayer({ protocol: constants.ETH_P_IP, interfaceIndex: lo }));
      const packet = await firstBatch<{ frame: Buffer; field: (name: keyof typeof PACKET) => number }>(
        (resolve) => {
          handle.onPackets = (data, meta, byteLength) => {
            expect(byteLength).toBeLessThanOrEqual(data.length);
            for (let i = 0; i < meta.length / PACKET.stride; i++) {
              const field = (name: keyof typeof PACKET) => meta[i * PACKET.stride + PACKET[name]] as number;
              const frame = data.subarray(field('dataOffset'), field('dataOffset') + field('captured'));
              // Ethernet (14) + IPv4 (20) + UDP: the datagram to our port.
              if (frame.length >= 42 && frame[23] === 17 && frame.readUInt16BE(36) === port) {
                resolve({ frame: Buffer.from(frame), field });
                return false;
              }
            }
            return true;
          };
          handle.startReceiving();
        },
        () => sender.send('packet layout', port, '127.0.0.1'),
      );
      const { frame, field } = packet;
      expect(frame.subarray(42).toString()).toBe('packet layout');
      expect(field('length')).toBe(frame.length);
      expect(field('interfaceIndex')).toBe(lo);
      expect(field('protocolHatype') & 0xffff).toBe(constants.ETH_P_IP);
      expect(field('protocolHatype') >>> 16).toBe(constants.ARPHRD_LOOPBACK);
      expect(field('typeAddressFlags') & 0xff).toBeLessThanOrEqual(4); // a PACKET_* type
      expect((field('typeAddressFlags') >>> 8) & 0xff).toBe(6); // lo has a 6-byte (all-zero) address
      expect(field('networkStatus') & 0xffff).toBe(14); // the IPv4 header after Ethernet's 14 bytes
      const ms = field('seconds') * 1000 + field('nanoseconds') / 1e6;
      expect(ms).toBeGreaterThanOrEqual(before - 1000);
      expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
    } finally {
      handle.close();
      target.close();
      sender.close();
    }
  });
});
