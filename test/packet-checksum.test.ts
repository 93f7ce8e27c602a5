// Checksum status of received packets: a UDP checksum the kernel left to offload
// (CHECKSUM_PARTIAL, tp_status TP_STATUS_CSUMNOTREADY: the field holds only the pseudo-header
// sum) is 'not-computed', never 'bad'; complete ones are checked from the bytes. Real traffic: a
// UDP socket in a peer namespace across a veth, frames the peer builds whole on a packet socket
// (one with a wrong checksum), and UDP on lo; both receive paths (ring and recvmmsg).
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { udpPort } from '../lib/bpf/builders.js';
import { buildEthernetFrame, buildIPv4Packet, buildUdpDatagram } from '../lib/decode/build.js';
import { decodePacket } from '../lib/decode/packet.js';
import { type Packet, PacketSocket } from '../lib/packet/index.js';
import { checked, PeerNetns } from './helpers/peer-netns.js';
import { waitUntil } from './helpers/wait.js';

const PORT = 45_678;
let pair: PeerNetns;

beforeAll(async () => {
  pair = await PeerNetns.create();
});

afterAll(async () => {
  await pair?.close();
});

/** Packets to PORT on `iface` while `send` runs, until `count` arrived. */
async function capture(iface: string, ring: boolean, count: number, send: () => Promise<void>): Promise<Packet[]> {
  const socket = PacketSocket.create({
    interface: iface,
    filter: udpPort(PORT, 'dst').toProgram({ framing: 'ethernet' }),
    ignoreOutgoing: true,
    ring,
  });
  const seen: Packet[] = [];
  socket.on('packet', (packet) => seen.push(packet));
  try {
    await send();
    expect(await waitUntil(() => seen.length >= count, 10_000)).toBe(true);
  } finally {
    socket.close();
  }
  return seen;
}

/** The peer sends one datagram from an ordinary UDP socket (the kernel checksums it, or leaves it to offload). */
const peerSocketSend = () =>
  checked('nsenter', [
    `--net=/proc/${pair.pid}/ns/net`,
    '--',
    'python3',
    '-c',
    `import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'offloaded', ('${pair.localIp}', ${PORT}))`,
  ]).then(() => {});

/** The peer sends a whole frame it built, checksum included (wrong when `corrupt`). */
function peerFrameSend(corrupt: boolean) {
  const udp = buildUdpDatagram({
    source: pair.peerIp,
    destination: pair.localIp,
    sourcePort: 40_000,
    destinationPort: PORT,
    payload: Buffer.from(corrupt ? 'corrupted' : 'complete'),
  });
  if (corrupt) udp.writeUInt16BE(udp.readUInt16BE(6) ^ 0x5555, 6);
  const frame = buildEthernetFrame({
    destination: pair.localMac,
    source: pair.peerMac,
    etherType: 0x0800,
    payload: buildIPv4Packet({ source: pair.peerIp, destination: pair.localIp, protocol: 17, payload: udp }),
  });
  const script = `import socket, sys; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((sys.argv[1], 0)); s.send(bytes.fromhex(sys.argv[2]))`;
  return checked('nsenter', [
    `--net=/proc/${pair.pid}/ns/net`,
    '--',
    'python3',
    '-c',
    script,
    pair.peer,
    frame.toString('hex'),
  ]).then(() => {});
}

const udpOf = (packet: Packet) => {
  const decoded = packet.decode();
  const transport = decoded.transport;
  if (transport?.layer !== 'udp') throw new Error(`not UDP: ${JSON.stringify(decoded)}`);
  return transport;
};

describe.each([
  ['ring', true],
  ['recvmmsg', false],
])('through the %s', (_path, ring) => {
  it('a UDP socket\u2019s datagram across a veth is not-computed (TP_STATUS_CSUMNOTREADY), not bad', async () => {
    const [packet] = await capture(pair.local, ring, 1, peerSocketSend);
    expect(packet?.checksumOffload).toBe('not-computed');
    expect(packet?.status && packet.status & 8).toBe(8);
    const udp = udpOf(packet as Packet);
    expect(udp.checksumStatus).toBe('not-computed');
    expect(udp.checksumValid).toBeUndefined();
    expect(udp.payload.toString()).toBe('offloaded');
  });

  it('a frame built whole is checked from its bytes: valid, and bad when it is wrong', async () => {
    const packets = await capture(pair.local, ring, 2, async () => {
      await peerFrameSend(false);
      await peerFrameSend(true);
    });
    const byPayload = new Map(packets.map((p) => [udpOf(p).payload.toString(), p]));
    const complete = udpOf(byPayload.get('complete') as Packet);
    const corrupted = udpOf(byPayload.get('corrupted') as Packet);
    expect(complete).toMatchObject({ checksumStatus: 'valid', checksumValid: true });
    expect(corrupted).toMatchObject({ checksumStatus: 'bad', checksumValid: false });
    // veth marks frames from a packet socket CHECKSUM_UNNECESSARY (TP_STATUS_CSUM_VALID) without
    // looking: the bytes, not that flag, decide.
    expect(byPayload.get('corrupted')?.checksumOffload).not.toBe('not-computed');
  });

  it('UDP on lo is not-computed too', async () => {
    const sender = createSocket('udp4');
    try {
      const [packet] = await capture(
        'lo',
        ring,
        1,
        () => new Promise((resolve) => sender.send('loop', PORT, '127.0.0.1', () => resolve())),
      );
      expect(packet?.checksumOffload).toBe('not-computed');
      expect(udpOf(packet as Packet)).toMatchObject({ checksumStatus: 'not-computed' });
    } finally {
      sender.close();
    }
  });
});

describe('decoders with checksumNotComputed', () => {
  const source = '192.0.2.1';
  const destination = '192.0.2.2';
  const udp = buildUdpDatagram({ source, destination, sourcePort: 1, destinationPort: 2, payload: Buffer.from('x') });
  const wrong = Buffer.from(udp);
  wrong.writeUInt16BE(wrong.readUInt16BE(6) ^ 0xffff, 6);

  it.each([
    ['a right checksum', udp, false, { checksumStatus: 'valid', checksumValid: true }],
    ['a wrong checksum', wrong, false, { checksumStatus: 'bad', checksumValid: false }],
    ['a wrong one left to offload', wrong, true, { checksumStatus: 'not-computed' }],
  ])('%s', (_what, bytes, checksumNotComputed, expected) => {
    const packet = buildIPv4Packet({ source, destination, protocol: 17, payload: bytes });
    const decoded = decodePacket(packet, { linkType: 'cooked', checksumNotComputed });
    expect(decoded.transport).toMatchObject(expected);
    if (checksumNotComputed) expect(decoded.transport).not.toHaveProperty('checksumValid');
  });
});
