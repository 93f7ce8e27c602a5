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
  it('receives a multicast group with its membership, every group with allMulticast', async () => {
    // macvlan filters multicast by its device list, as a NIC does (veth lets everything through),
    // and like a NIC's its filter is a hash: 256 buckets, seeded per device (mc_hash() in
    // drivers/net/macvlan.c). A group that is not on the list still passes when it shares a
    // bucket with one that is (the device's own IPv4/IPv6 groups), a few percent of the time.
    // So the test sends GROUP and 24 other groups, then a broadcast; they arrive in that order, so
    // once the broadcast is in, every earlier frame that was coming has come. Without allMulticast
    // most of the others must be filtered (the filter is active), GROUP must arrive with its
    // membership, and with allMulticast every group arrives.
    const others = Array.from({ length: 24 }, (_, i) => `01:00:5e:7f:01:${i.toString(16).padStart(2, '0')}`);
    const cases: [object, boolean, boolean][] = [
      // options, GROUP must arrive, every other group must arrive
      [{}, false, false],
      [{ multicast: [GROUP] }, true, false],
      [{ allMulticast: true }, true, true],
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
    for (const [options, groupArrives, allArrive] of cases) {
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
          ...others,
          'ff:ff:ff:ff:ff:ff',
        ]);
        expect(await waitUntil(() => seen.includes('ff:ff:ff:ff:ff:ff'), 10_000)).toBe(true);
        const label = JSON.stringify(options);
        const othersSeen = others.filter((group) => seen.includes(group));
        if (groupArrives) expect(seen, label).toContain(GROUP);
        if (allArrive) expect(othersSeen, label).toEqual(others);
        else expect(othersSeen.length, `${label}: groups not on the list that passed`).toBeLessThan(others.length / 2);
        // Nothing but what was sent, in the order sent.
        const order = [GROUP, ...others, 'ff:ff:ff:ff:ff:ff'];
        expect(seen, label).toEqual(order.filter((frame) => seen.includes(frame)));
      } finally {
        socket.close();
      }
    }
  });
});
