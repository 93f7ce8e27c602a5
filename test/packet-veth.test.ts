// Packet sockets on a veth pair whose other end lives in a second network namespace, with a
// Python peer there (test/helpers/veth-peer.py): sends that reach a real UDP socket, and the
// metadata of frames a real peer sends (source MAC, packet types, VLAN tags), promiscuity.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../lib/bpf/compile.js';
import { buildEthernetFrame, buildIPv4Packet, buildUdpDatagram } from '../lib/decode/build.js';
import { DROP_ALL, type Packet, PacketSocket, type RingOptions } from '../lib/packet/index.js';
import { run } from './helpers/netns.js';
import { waitUntil } from './helpers/wait.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ours = `rs${process.pid % 100000}a`;
const theirs = `rs${process.pid % 100000}b`;
const subnet = `10.${77 + (process.pid % 100)}.${(process.pid >> 8) % 250}`;
const ourIp = `${subnet}.1`;
const peerIp = `${subnet}.2`;

class Peer {
  readonly child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #reader: Interface;
  mac = '';
  constructor() {
    // unshare execs python3: the child's pid is the peer process, in its own network namespace.
    this.child = spawn('unshare', [
      '--net',
      '--',
      'python3',
      path.join(here, 'helpers/veth-peer.py'),
      theirs,
      `${peerIp}/24`,
    ]);
    this.#reader = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    this.#reader.on('line', (line) => {
      this.#lines.push(line);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }
  async expectLine(pattern: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#lines.findIndex((l) => pattern.test(l));
      if (index >= 0) return pattern.exec(this.#lines.splice(0, index + 1).pop() as string) as RegExpExecArray;
      if (Date.now() > deadline) throw new Error(`peer never said ${pattern}; said ${this.#lines.join(' | ')}`);
      await Promise.race([new Promise<void>((resolve) => this.#waiters.push(resolve)), sleep(50)]);
    }
  }
  command(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }
}

let peer: Peer;

beforeAll(async () => {
  peer = new Peer();
  await run('ip', ['link', 'add', ours, 'type', 'veth', 'peer', 'name', theirs, 'netns', String(peer.child.pid)]).then(
    (r) => expect(r.stderr).toBe(''),
  );
  await run('ip', ['addr', 'add', `${ourIp}/24`, 'dev', ours]);
  await run('ip', ['link', 'set', ours, 'up']);
  peer.mac = (await peer.expectLine(/^READY (\S+)/))[1] as string;
});

afterAll(async () => {
  peer.child.kill();
  await run('ip', ['link', 'del', ours]);
});

const udpFrame = (destinationMac: string, sourceMac: string, port: number, text: string) => {
  const udp = buildUdpDatagram({
    source: ourIp,
    destination: peerIp,
    sourcePort: 40000,
    destinationPort: port,
    payload: Buffer.from(text),
  });
  const ip = buildIPv4Packet({ source: ourIp, destination: peerIp, protocol: 17, payload: udp });
  return {
    ip,
    frame: buildEthernetFrame({ destination: destinationMac, source: sourceMac, etherType: 0x0800, payload: ip }),
  };
};

describe('send across a veth pair', () => {
  it('a frame sent on a packet socket arrives at a UDP socket in the other namespace', async () => {
    const raw = PacketSocket.create({ interface: ours, filter: DROP_ALL });
    const cooked = PacketSocket.create({ interface: ours, mode: 'cooked', protocol: 'ip', filter: DROP_ALL });
    expect(raw.hardwareType).toBe(1);
    expect(raw.hardwareAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    peer.command('recv 5353 2 3');
    await peer.expectLine(/^BOUND/);
    const { frame } = udpFrame(peer.mac, raw.hardwareAddress, 5353, 'from a raw packet socket');
    expect(await raw.send(frame)).toBe(frame.length);
    const { ip } = udpFrame(peer.mac, raw.hardwareAddress, 5353, 'from a cooked packet socket');
    expect(await cooked.send(ip, { destination: peer.mac })).toBe(ip.length);
    const first = await peer.expectLine(/^GOT (\S+)/);
    const second = await peer.expectLine(/^GOT (\S+)/);
    expect([first[1], second[1]].map((hex) => Buffer.from(hex as string, 'hex').toString())).toEqual([
      'from a raw packet socket',
      'from a cooked packet socket',
    ]);
    await peer.expectLine(/^DONE/);
    raw.close();
    cooked.close();
  });
});

const receivePaths: [string, RingOptions | false][] = [
  ['ring', { retireTimeoutMs: 2 }],
  ['recvmmsg', false],
];

describe.each(receivePaths)('metadata of frames a peer sends (%s)', (_name, ring) => {
  // Receives until `arrived` says so (or 10 s), then a little longer so that a duplicate would show.
  async function receive(
    options: Parameters<typeof PacketSocket.create>[0],
    send: () => Promise<void>,
    arrived = (packets: Packet[]) => packets.length > 0,
  ) {
    const socket = PacketSocket.create({ interface: ours, ring, ...options });
    const packets: Packet[] = [];
    socket.on('packet', (p) => packets.push(p));
    await send();
    await waitUntil(() => arrived(packets));
    await sleep(20);
    socket.close();
    return packets;
  }

  it('a UDP datagram to this host: host, the peer MAC, the interface, IPv4', async () => {
    const packets = await receive({ filter: compile('udp dst port 6000') }, async () => {
      peer.command(`send ${ourIp} 6000 ${Buffer.from('hello').toString('hex')}`);
      await peer.expectLine(/^SENT/);
    });
    expect(packets).toHaveLength(1);
    const [packet] = packets as [Packet];
    expect(packet.packetType).toBe('host');
    expect(packet.sourceAddress).toBe(peer.mac);
    expect(packet.interfaceName).toBe(ours);
    expect(packet.hardwareType).toBe(1);
    expect(packet.protocol).toBe(0x0800);
    expect(packet.data.subarray(0, 6).toString('hex')).not.toBe('ffffffffffff');
    expect(packet.decode().payload.toString()).toBe('hello');
  });

  it.each([
    ['ff:ff:ff:ff:ff:ff', 'broadcast'],
    ['01:00:5e:00:00:fb', 'multicast'],
    ['02:00:00:00:00:99', 'otherhost'],
  ])('a frame to %s is %s', async (destination, type) => {
    const frame = buildEthernetFrame({
      destination,
      source: peer.mac,
      etherType: 0x88b5, // IEEE local experimental
      payload: Buffer.from('experimental payload, long enough for a minimum frame'),
    });
    const packets = await receive({ protocol: 0x88b5 }, async () => {
      peer.command(`frame ${frame.toString('hex')}`);
      await peer.expectLine(/^SENT/);
    });
    expect(packets.map((p) => [p.packetType, p.protocol, p.sourceAddress, p.data.toString('hex')])).toEqual([
      [type, 0x88b5, peer.mac, frame.toString('hex')],
    ]);
  });

  it('a VLAN-tagged frame: the kernel strips the tag and reports it', async () => {
    const payload = Buffer.from('tagged payload, long enough for a minimum frame....');
    const frame = buildEthernetFrame({
      destination: 'ff:ff:ff:ff:ff:ff',
      source: peer.mac,
      etherType: 0x88b5,
      vlans: [{ id: 42, priority: 5 }],
      payload,
    });
    const packets = await receive(
      { protocol: 'all', filter: compile('ether src host '.concat(peer.mac)) },
      async () => {
        peer.command(`frame ${frame.toString('hex')}`);
        await peer.expectLine(/^SENT/);
      },
      (packets) => packets.some((p) => p.protocol === 0x88b5),
    );
    const tagged = packets.filter((p) => p.protocol === 0x88b5);
    expect(tagged).toHaveLength(1);
    const [packet] = tagged as [Packet];
    expect(packet.vlan).toEqual({ id: 42, priority: 5, dropEligible: false, tpid: 0x8100 });
    expect(packet.data.readUInt16BE(12)).toBe(0x88b5); // the tag is no longer in the frame
    expect(packet.data.subarray(14)).toEqual(payload);
  });
});

describe('promiscuous', () => {
  it('is a per-socket membership: the promiscuity count goes up while open and back on close', async () => {
    const promiscuity = async () => {
      const { stdout } = await run('ip', ['-d', 'link', 'show', ours]);
      return Number(/promiscuity (\d+)/.exec(stdout)?.[1]);
    };
    expect(await promiscuity()).toBe(0);
    const socket = PacketSocket.create({ interface: ours, promiscuous: true, filter: DROP_ALL });
    const other = PacketSocket.create({ interface: ours, promiscuous: true, filter: DROP_ALL });
    expect(await promiscuity()).toBe(2);
    socket.close();
    expect(await promiscuity()).toBe(1);
    other.close();
    expect(await promiscuity()).toBe(0);
    // The interface's own flag (what `ip link set promisc on` sets) was never touched.
    const { stdout } = await run('ip', ['link', 'show', ours]);
    expect(stdout).not.toMatch(/[<,]PROMISC[,>]/);
  });
});
