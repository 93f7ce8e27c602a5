// Multicast memberships of packet sockets (PACKET_ADD_MEMBERSHIP / PACKET_DROP_MEMBERSHIP,
// PACKET_MR_MULTICAST and PACKET_MR_ALLMULTI): what the kernel's device lists say (`ip maddr`,
// `ip -d link`'s allmulti count) while a socket holds them and after it closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketSocket } from '../lib/packet/index.js';
import { checked, PeerNetns } from './helpers/peer-netns.js';
import { waitUntil } from './helpers/wait.js';

const GROUP = '01:00:5e:01:02:03';
const OTHER = '01:00:5e:7f:00:09';
let pair: PeerNetns;

beforeAll(async () => {
  pair = await PeerNetns.create();
});

afterAll(async () => {
  await pair?.close();
});

const memberships = async (device: string): Promise<string[]> => {
  const shown = JSON.parse((await checked('ip', ['-j', 'maddr', 'show', 'dev', device])).stdout) as {
    maddr: { link?: string }[];
  }[];
  // Link-layer entries are the ones with a `link` field (the others are inet/inet6 groups).
  return shown.flatMap((d) => d.maddr.flatMap((m) => (m.link === undefined ? [] : [m.link])));
};
const allmultiCount = async (device: string): Promise<number> =>
  (JSON.parse((await checked('ip', ['-j', '-d', 'link', 'show', device])).stdout) as { allmulti: number }[])[0]
    ?.allmulti as number;

describe('kernel state', () => {
  it('a membership is on the device while a socket holds it, reference counted, and gone after close', async () => {
    expect(await memberships(pair.local)).not.toContain(GROUP);
    const first = PacketSocket.create({ interface: pair.local, multicast: [GROUP] });
    const second = PacketSocket.create({ interface: pair.local, multicast: [GROUP] });
    expect(await memberships(pair.local)).toContain(GROUP);
    first.close();
    expect(await memberships(pair.local)).toContain(GROUP); // the second socket still holds it
    second.close();
    expect(await memberships(pair.local)).not.toContain(GROUP);
  });

  it('addMembership and dropMembership change the list at once; dropping one not held is EADDRNOTAVAIL', async () => {
    const socket = PacketSocket.create({ interface: pair.local });
    try {
      socket.addMembership(OTHER);
      expect(await memberships(pair.local)).toContain(OTHER);
      socket.dropMembership(OTHER);
      expect(await memberships(pair.local)).not.toContain(OTHER);
      // The kernel ignores a drop of what is not held (packet_mc_drop returns 0); the socket says so.
      expect(() => socket.dropMembership(OTHER)).toThrow(
        expect.objectContaining({ code: 'EADDRNOTAVAIL', syscall: 'setsockopt' }),
      );
      // Added twice, held until dropped twice (the kernel counts per socket).
      socket.addMembership(OTHER);
      socket.addMembership(OTHER);
      socket.dropMembership(OTHER);
      expect(await memberships(pair.local)).toContain(OTHER);
      socket.dropMembership(OTHER);
      expect(await memberships(pair.local)).not.toContain(OTHER);
      expect(() => socket.addMembership('02:00:00:00:00:01')).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    } finally {
      socket.close();
    }
  });

  it('allMulticast raises the device allmulti count for the socket life, never the flag by hand', async () => {
    const before = await allmultiCount(pair.local);
    const socket = PacketSocket.create({ interface: pair.local, allMulticast: true });
    expect(await allmultiCount(pair.local)).toBe(before + 1);
    socket.setAllMulticast(false);
    expect(await allmultiCount(pair.local)).toBe(before);
    socket.setAllMulticast(true);
    expect(await allmultiCount(pair.local)).toBe(before + 1);
    socket.close();
    expect(await allmultiCount(pair.local)).toBe(before);
    const everywhere = PacketSocket.create();
    expect(() => everywhere.setAllMulticast(true)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => everywhere.addMembership(GROUP)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    everywhere.close();
    expect(() => everywhere.addMembership(GROUP)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it.each([
    [{ interface: 'lo', multicast: ['zz'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ interface: 'lo', multicast: 'x' }, 'ERR_INVALID_ARG_TYPE'],
    [{ multicast: [GROUP] }, 'ERR_INVALID_ARG_VALUE'], // which interface?
    [{ interface: 'lo', allMulticast: 1 }, 'ERR_INVALID_ARG_TYPE'],
  ])('PacketSocket.create(%j) fails with %s', (options, code) => {
    expect(() => PacketSocket.create(options as never)).toThrow(expect.objectContaining({ code }));
  });
});

describe('delivery through a macvlan', () => {
  it('receives a multicast group only with its membership, every group with allMulticast', async () => {
    // macvlan filters multicast by its device list, as a NIC does (veth lets everything through).
    // The peer sends a frame to GROUP, one to OTHER, then a broadcast; they arrive in that order,
    // so once the broadcast is in, every earlier frame that was coming has come.
    const cases: [object, string[]][] = [
      [{}, []],
      [{ multicast: [GROUP] }, [GROUP]],
      [{ allMulticast: true }, [GROUP, OTHER]],
    ];
    const script = [
      'import socket, sys',
      's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
      's.bind((sys.argv[1], 0))',
      'for dst in sys.argv[3:]:',
      '    mac = lambda m: bytes.fromhex(m.replace(":", ""))',
      '    s.send(mac(dst) + mac(sys.argv[2]) + b"\\x88\\xb5" + dst.encode().ljust(46, b"\\0"))',
    ].join('\n');
    let n = 0;
    for (const [options, expected] of cases) {
      const device = `${pair.local}v${n++}`;
      await checked('ip', ['link', 'add', 'link', pair.local, 'name', device, 'type', 'macvlan', 'mode', 'bridge']);
      await checked('ip', ['link', 'set', device, 'up']);
      const socket = PacketSocket.create({ interface: device, ...options });
      const seen: string[] = [];
      socket.on('packet', (packet) => {
        const data = packet.data;
        if (data.readUInt16BE(12) === 0x88b5) seen.push(data.subarray(14).toString().replace(/\0+$/, ''));
      });
      try {
        await checked('nsenter', [
          `--net=/proc/${pair.pid}/ns/net`,
          '--',
          'python3',
          '-c',
          script,
          pair.peer,
          pair.peerMac,
          GROUP,
          OTHER,
          'ff:ff:ff:ff:ff:ff',
        ]);
        expect(await waitUntil(() => seen.includes('ff:ff:ff:ff:ff:ff'), 10_000)).toBe(true);
        expect(
          seen.filter((d) => d !== 'ff:ff:ff:ff:ff:ff'),
          JSON.stringify(options),
        ).toEqual(expected);
      } finally {
        socket.close();
      }
    }
  });
});
