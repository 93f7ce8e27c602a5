// Socket introspection: the parsers on crafted bytes, then listPacketSockets / listInetSockets on
// sockets this test opens itself, one a Python process opens and one tcpdump opens, checked
// against what the kernel and iproute2's ss say about them.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fstatSync } from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowedCongestion, setCongestion } from '../lib/congestion/index.js';
import { listInetSockets, listPacketSockets, type PacketSocketEntry } from '../lib/diag/index.js';
import { parseInetDiagMessage } from '../lib/diag/inet-diag.js';
import { etherTypeName, packetProtocolText } from '../lib/diag/names.js';
import { align4, DiagParseError, parseAttributes, parseMessages } from '../lib/diag/netlink.js';
import { parseComm, parseSocketLink } from '../lib/diag/owners.js';
import { PACKET_SHOW_FANOUT, PACKET_SHOW_FILTER, parsePacketDiagMessage } from '../lib/diag/packet-diag.js';
import { parseProcNetPacket } from '../lib/diag/proc-net-packet.js';
import { constants, type NativeSocketHandle, native } from '../lib/native.js';
import { run } from './helpers/netns.js';

// The crafted bytes below are little-endian, like netlink on the hosts the tests run on.
function nlmsg(type: number, seq: number, payload: number[]): number[] {
  const length = 16 + payload.length;
  const out = Buffer.alloc(align4(length));
  out.writeUInt32LE(length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt32LE(seq, 8);
  Buffer.from(payload).copy(out, 16);
  return [...out];
}

function nlattr(type: number, value: number[]): number[] {
  const out = Buffer.alloc(align4(4 + value.length));
  out.writeUInt16LE(4 + value.length, 0);
  out.writeUInt16LE(type, 2);
  Buffer.from(value).copy(out, 4);
  return [...out];
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return [...b];
};

describe('netlink framing', () => {
  it('splits a datagram into aligned messages', () => {
    const bytes = Uint8Array.from([...nlmsg(20, 7, [1, 2, 3]), ...nlmsg(3, 7, u32(0))]);
    const messages = parseMessages(bytes);
    expect(messages.map((m) => [m.type, m.seq, [...m.payload]])).toEqual([
      [20, 7, [1, 2, 3]],
      [3, 7, [0, 0, 0, 0]],
    ]);
  });

  it.each([
    ['a header cut short', [16, 0, 0, 0, 20, 0]],
    ['a length below the header size', [...nlmsg(20, 1, [])].map((b, i) => (i === 0 ? 8 : b))],
    ['a length past the end', [...nlmsg(20, 1, [9, 9, 9, 9])].map((b, i) => (i === 0 ? 200 : b))],
  ])('rejects %s with DiagParseError', (_name, bytes) => {
    expect(() => parseMessages(Uint8Array.from(bytes))).toThrow(DiagParseError);
  });

  it('parses attributes, drops flag bits from the type, and rejects overlong ones', () => {
    const ok = Uint8Array.from([...nlattr(4 | 0x8000, [7]), ...nlattr(5, u32(9))]);
    expect(parseAttributes(ok).map((a) => [a.type, [...a.value]])).toEqual([
      [4, [7]],
      [5, u32(9)],
    ]);
    expect(() => parseAttributes(Uint8Array.from([40, 0, 1, 0, 0, 0, 0, 0]))).toThrow(DiagParseError);
    expect(() => parseAttributes(Uint8Array.from([2, 0, 1, 0]))).toThrow(DiagParseError);
  });
});

describe('packet_diag and inet_diag answers', () => {
  it('reads a packet_diag_msg with info, uid, meminfo, fanout and filter', () => {
    const info = [...u32(2), ...u32(2), ...u32(0), ...u32(0), ...u32(0), ...u32(0x3)];
    const mem = [0, 1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => u32(n * 100));
    const filter = [6, 0, 0, 0, ...u32(0x40000)];
    const body = [17, 3, 0x03, 0x00, ...u32(4242), ...u32(1), ...u32(0)];
    const payload = Uint8Array.from([
      ...body,
      ...nlattr(0, info),
      ...nlattr(5, u32(1000)),
      ...nlattr(6, mem),
      ...nlattr(4, u32(0x7 | (1 << 16))),
      ...nlattr(7, filter),
    ]);
    const record = parsePacketDiagMessage(payload, PACKET_SHOW_FANOUT | PACKET_SHOW_FILTER);
    expect(record).toMatchObject({
      inode: '4242',
      socketType: 3,
      protocol: 3,
      interfaceIndex: 2,
      tpacketVersion: 3,
      running: true,
      auxdata: true,
      uid: 1000,
      receiveQueue: 0,
      drops: 800,
      fanout: { id: 7, mode: 'lb' },
      filter: { attached: true, instructions: [{ code: 6, jt: 0, jf: 0, k: 0x40000 }] },
    });
  });

  it('an empty filter attribute (no CAP_NET_ADMIN) means "cannot tell", an absent one "none"', () => {
    const body = [17, 2, 0x00, 0x08, ...u32(1), ...u32(0), ...u32(0)];
    expect(parsePacketDiagMessage(Uint8Array.from([...body, ...nlattr(7, [])]), PACKET_SHOW_FILTER).filter).toBe(
      undefined,
    );
    expect(parsePacketDiagMessage(Uint8Array.from(body), PACKET_SHOW_FILTER).filter).toEqual({ attached: false });
  });

  it.each([
    ['too short', [17, 3, 0]],
    ['another family', [2, 3, 0, 0, ...u32(1), ...u32(0), ...u32(0)]],
    ['a truncated info attribute', [17, 3, 0, 0, ...u32(1), ...u32(0), ...u32(0), ...nlattr(0, u32(1))]],
    [
      'a filter that is not whole instructions',
      [17, 3, 0, 0, ...u32(1), ...u32(0), ...u32(0), ...nlattr(7, [1, 2, 3])],
    ],
  ])('rejects a packet_diag answer that is %s', (_name, bytes) => {
    expect(() => parsePacketDiagMessage(Uint8Array.from(bytes), 0x3f)).toThrow(DiagParseError);
  });

  it('reads an inet_diag_msg: ports in network order, addresses, queues, congestion', () => {
    const msg = Buffer.alloc(72);
    msg[0] = 2; // AF_INET
    msg[1] = 10; // LISTEN
    msg.writeUInt16BE(8080, 4);
    Buffer.from([127, 0, 0, 1]).copy(msg, 8);
    msg.writeUInt32LE(3, 56);
    msg.writeUInt32LE(128, 60);
    msg.writeUInt32LE(99, 68);
    const record = parseInetDiagMessage(Uint8Array.from([...msg, ...nlattr(4, [...Buffer.from('reno'), 0])]), 6);
    expect(record).toMatchObject({
      family: 4,
      state: 10,
      localAddress: '127.0.0.1',
      localPort: 8080,
      peerAddress: '0.0.0.0',
      peerPort: 0,
      receiveQueue: 3,
      sendQueue: 128,
      inode: '99',
      congestion: 'reno',
    });
  });
});

describe('/proc/net/packet and /proc/PID/fd text', () => {
  it('parses by header name, tolerates extra columns, keeps inodes above 2^53 exact', () => {
    const text = [
      'sk               RefCnt Type Proto  Iface R Rmem   User   Inode Extra',
      '00000000ca950d83 3      3    0003   1     1 0      0      23715 x',
      'ffff000000000001 3      2    88cc   0     0 1280   1000   18446744073709551615 y',
      '',
    ].join('\n');
    expect(parseProcNetPacket(text)).toEqual([
      { inode: '23715', socketType: 3, protocol: 3, interfaceIndex: 1, running: true, receiveQueue: 0, uid: 0 },
      {
        inode: '18446744073709551615',
        socketType: 2,
        protocol: 0x88cc,
        interfaceIndex: 0,
        running: false,
        receiveQueue: 1280,
        uid: 1000,
      },
    ]);
  });

  it.each([
    ['a missing column', 'sk RefCnt Type Proto Iface R Rmem User\n'],
    ['a short line', 'sk RefCnt Type Proto Iface R Rmem User Inode\n0 3 3 0003 1\n'],
    ['a non-numeric inode', 'sk RefCnt Type Proto Iface R Rmem User Inode\n0 3 3 0003 1 1 0 0 abc\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseProcNetPacket(text)).toThrow(DiagParseError);
  });

  it.each([
    ['socket:[23715]', '23715'],
    ['socket:[007]', '7'],
    ['pipe:[23715]', undefined],
    ['/dev/null', undefined],
    ['socket:[]', undefined],
  ])('descriptor link %j is socket inode %j', (link, inode) => {
    expect(parseSocketLink(link)).toBe(inode);
  });

  it('comm loses its newline only', () => {
    expect(parseComm('python3\n')).toBe('python3');
    expect(parseComm('a b)\n')).toBe('a b)');
  });

  it.each([
    [0x0003, 'all', '*'],
    [0x0800, 'ip', 'ip'],
    [0x86dd, 'ipv6', 'ipv6'],
    [0x88cc, 'LLDP', 'LLDP'],
    [0x88b5, undefined, '[34997]'],
  ])('EtherType %i is named %j and printed %j as ss does', (value, name, text) => {
    expect(etherTypeName(value)).toBe(name);
    expect(packetProtocolText(value, false)).toBe(text);
  });
});

// ---- Live sockets in the test's network namespace ----

const ETH_P_ALL = 0x0003;
const LO = native.ifNameToIndex('lo');

/** sockaddr_ll (packet(7)): family, protocol (network order), ifindex; 20 bytes. */
function sockaddrLl(protocol: number, ifindex: number): Buffer {
  const out = Buffer.alloc(20);
  out.writeUInt16LE(constants.AF_PACKET, 0);
  out.writeUInt16BE(protocol, 2);
  out.writeInt32LE(ifindex, 4);
  return out;
}

const handles: NativeSocketHandle[] = [];
function packetSocket(type: 'raw' | 'cooked', protocol: number, ifindex: number): NativeSocketHandle {
  // packet(7): open with protocol 0 (nothing queued), bind with the real protocol last.
  const handle = new native.SocketHandle(
    constants.AF_PACKET,
    type === 'raw' ? constants.SOCK_RAW : constants.SOCK_DGRAM,
    0,
  );
  handles.push(handle);
  native.bind(handle.fd, sockaddrLl(protocol, ifindex));
  return handle;
}

const inodeOf = (fd: number) => String(fstatSync(fd).ino);

/** A Python process holding a packet socket; prints its fd once bound. */
const PYTHON_PEER = `
import ctypes, socket, sys
proto, kind, dumpable = int(sys.argv[1], 0), sys.argv[2], sys.argv[3] == '1'
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW if kind == 'raw' else socket.SOCK_DGRAM, socket.htons(proto))
s.bind(('lo', proto))
if not dumpable:
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: /proc/PID/fd needs CAP_SYS_PTRACE
print(s.fileno(), flush=True)
sys.stdin.read()
`;

async function startPythonPeer(
  protocol: number,
  kind: 'raw' | 'cooked',
  dumpable = true,
): Promise<{ child: ChildProcess; fd: number }> {
  const child = spawn('python3', ['-c', PYTHON_PEER, String(protocol), kind, dumpable ? '1' : '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { child, fd: Number(line.toString().trim()) };
}

let python: { child: ChildProcess; fd: number };
let tcpdump: ChildProcess;

beforeAll(async () => {
  python = await startPythonPeer(0x88cc, 'cooked');
  // As root of the test namespace tcpdump switches to the "tcpdump" user, which the namespace
  // cannot map (and initgroups is denied there): fakeroot lets that switch "succeed".
  tcpdump = spawn('fakeroot', ['tcpdump', '-i', 'lo', '-n', 'tcp port 80'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    tcpdump.stderr?.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('listening on')) resolve();
    });
    tcpdump.on('exit', () => reject(new Error(`tcpdump exited: ${stderr}`)));
  });
});

afterAll(async () => {
  python?.child.stdin?.end();
  // fakeroot runs tcpdump as its child: end tcpdump itself (found by name), and let fakeroot see
  // it exit, so that fakeroot also stops its faked daemon.
  const exited = tcpdump.exitCode === null ? once(tcpdump, 'exit') : Promise.resolve();
  const { sockets } = await listPacketSockets();
  for (const s of sockets) {
    for (const p of s.processes) if (p.command === 'tcpdump') process.kill(p.pid, 'SIGTERM');
  }
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  if (tcpdump.exitCode === null) tcpdump.kill('SIGKILL');
});

afterEach(() => {
  for (const handle of handles.splice(0)) handle.close();
});

function find(sockets: PacketSocketEntry[], inode: string): PacketSocketEntry {
  const socket = sockets.find((s) => s.inode === inode);
  expect(socket, `socket ${inode} in ${JSON.stringify(sockets.map((s) => s.inode))}`).toBeDefined();
  return socket as PacketSocketEntry;
}

describe('listPacketSockets', () => {
  it("lists this process's own sockets with type, protocol, interface and holder", async () => {
    const raw = packetSocket('raw', ETH_P_ALL, LO);
    const cooked = packetSocket('cooked', 0x0806, 0);
    const { sockets, source } = await listPacketSockets();
    expect(source).toBe('netlink');
    expect(find(sockets, inodeOf(raw.fd))).toMatchObject({
      type: 'raw',
      protocol: ETH_P_ALL,
      protocolName: 'all',
      interfaceIndex: LO,
      interfaceName: 'lo',
      running: true,
      uid: 0,
      fanout: null,
      rxRing: null,
      filterAttached: false,
      processes: [{ pid: process.pid, fd: raw.fd, command: expect.any(String) }],
      processesComplete: true,
    });
    expect(find(sockets, inodeOf(cooked.fd))).toMatchObject({
      type: 'cooked',
      protocol: 0x0806,
      protocolName: 'arp',
      interfaceIndex: 0,
      interfaceName: null,
      processes: [{ pid: process.pid, fd: cooked.fd }],
    });
  });

  it("finds the Python process's socket and tcpdump's, with its filter", async () => {
    const { sockets } = await listPacketSockets({ filter: true });
    const py = sockets.find((s) => s.processes.some((p) => p.pid === python.child.pid));
    expect(py).toMatchObject({
      type: 'cooked',
      protocol: 0x88cc,
      protocolName: 'LLDP',
      interfaceName: 'lo',
      processes: [{ pid: python.child.pid, command: 'python3', fd: python.fd }],
    });
    const dump = sockets.find((s) => s.processes.some((p) => p.command === 'tcpdump'));
    expect(dump).toMatchObject({ type: 'raw', protocol: ETH_P_ALL, interfaceName: 'lo', filterAttached: true });
    // libpcap uses a TPACKET_V3 ring; the filter is the classic program tcpdump -d prints.
    expect(dump?.tpacketVersion).toBe(3);
    expect(dump?.rxRing).toMatchObject({ blockSize: expect.any(Number), blockCount: expect.any(Number) });
    const { stdout } = await run('tcpdump', ['-ddd', '-i', 'lo', 'tcp port 80']);
    const expected = stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(' ').map(Number));
    expect(dump?.filter?.map((i) => [i.code, i.jt, i.jf, i.k])).toEqual(expected);
  });

  it('reports a fanout group', async () => {
    const handle = packetSocket('raw', 0x88b5, LO);
    const groupId = 0x1234;
    native.setsockopt(handle.fd, constants.SOL_PACKET, constants.PACKET_FANOUT, groupId | (1 << 16)); // lb
    const { sockets } = await listPacketSockets();
    expect(find(sockets, inodeOf(handle.fd)).fanout).toEqual({ id: groupId, mode: 'lb' });
  });

  it('a closed socket disappears', async () => {
    const handle = packetSocket('raw', 0x88b6, LO);
    const inode = inodeOf(handle.fd);
    expect((await listPacketSockets({ processes: false })).sockets.map((s) => s.inode)).toContain(inode);
    handle.close();
    expect((await listPacketSockets({ processes: false })).sockets.map((s) => s.inode)).not.toContain(inode);
  });

  it('/proc/net/packet gives the same answer as netlink', async () => {
    const raw = packetSocket('raw', ETH_P_ALL, LO);
    const cooked = packetSocket('cooked', 0x0800, 0);
    const mine = new Set([inodeOf(raw.fd), inodeOf(cooked.fd)]);
    const pick = (s: PacketSocketEntry) => ({
      inode: s.inode,
      type: s.type,
      protocol: s.protocol,
      interfaceName: s.interfaceName,
      uid: s.uid,
      running: s.running,
      processes: s.processes,
    });
    const viaNetlink = await listPacketSockets();
    const viaProc = await listPacketSockets({ source: 'proc' });
    expect(viaProc.source).toBe('proc');
    const ours = (list: PacketSocketEntry[]) =>
      list.filter((s) => mine.has(s.inode) || s.processes.some((p) => p.pid === python.child.pid)).map(pick);
    expect(ours(viaProc.sockets)).toEqual(ours(viaNetlink.sockets));
    expect(ours(viaProc.sockets)).toHaveLength(3);
    // What /proc/net/packet cannot know stays undefined rather than looking like "none".
    expect(find(viaProc.sockets, inodeOf(raw.fd))).toMatchObject({
      fanout: undefined,
      filterAttached: undefined,
      drops: undefined,
    });
  });

  it('rejects a bad source option', async () => {
    await expect(listPacketSockets({ source: 'nope' as 'auto' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });
});

describe('listInetSockets', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  async function connection() {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = (await accepted) as [net.Socket];
    open.push({
      close: () => {
        client.destroy();
        peer.destroy();
        server.close();
      },
    });
    return { server, client, peer, port: (server.address() as net.AddressInfo).port };
  }

  it('lists a TCP listener and both ends of a connection, with holders', async () => {
    const { client, port } = await connection();
    const { sockets } = await listInetSockets({ protocol: 'tcp', family: 4 });
    const listener = sockets.find((s) => s.localPort === port && s.state === 'LISTEN');
    expect(listener).toMatchObject({ localAddress: '127.0.0.1', peerPort: 0, processes: [{ pid: process.pid }] });
    const ours = sockets.find((s) => s.localPort === client.localPort);
    expect(ours).toMatchObject({
      protocol: 'tcp',
      family: 4,
      state: 'ESTABLISHED',
      peerAddress: '127.0.0.1',
      peerPort: port,
      processes: [{ pid: process.pid }],
      processesComplete: true,
    });
  });

  it('the congestion algorithm per connection agrees with ss -ti', async () => {
    const { client, peer } = await connection();
    const other = allowedCongestion().find((name) => name !== 'reno') ?? 'reno';
    setCongestion(client, 'reno');
    setCongestion(peer, other);
    const { sockets } = await listInetSockets({ protocol: 'tcp', states: ['ESTABLISHED'] });
    for (const [port, algorithm] of [
      [client.localPort as number, 'reno'],
      [peer.localPort as number, other],
    ] as const) {
      const socket = sockets.find(
        (s) => s.localPort === port && s.peerPort === (port === client.localPort ? peer.localPort : client.localPort),
      );
      expect(socket?.congestion).toBe(algorithm);
      expect(socket?.tcpInfo?.sendMss).toBeGreaterThan(0);
      const ss = await run('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`]);
      const info = ss.stdout.split('\n').find((line) => line.startsWith('\t'));
      expect(info?.trim().split(/\s+/)[0], ss.stdout).toBe(algorithm);
    }
  });

  it('lists a bound UDP socket as unconnected, and only when asked for such states', async () => {
    const dgram = await import('node:dgram');
    const socket = dgram.createSocket('udp6');
    socket.bind(0, '::1');
    await once(socket, 'listening');
    open.push({ close: () => socket.close() });
    const port = socket.address().port;
    const all = await listInetSockets({ protocol: 'udp', family: 6, states: 'listening' });
    expect(all.sockets.find((s) => s.localPort === port)).toMatchObject({
      state: 'CLOSE',
      family: 6,
      localAddress: '::1',
      processes: [{ pid: process.pid }],
    });
    const connected = await listInetSockets({ protocol: 'udp', family: 6, states: 'connected' });
    expect(connected.sockets.find((s) => s.localPort === port)).toBeUndefined();
  });

  it('rejects an unknown protocol', async () => {
    await expect(listInetSockets({ protocol: 'sctp' as 'tcp' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });
});
