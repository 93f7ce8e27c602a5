// The bad-input matrix: every public entry point with wrong types, out-of-range values, unknown
// interfaces, closed sockets and missing privileges, and the error the user gets. The single
// source of docs/bad-input.md (renderBadInputTable(); test/bad-input.test.ts checks that the doc
// matches and runs every row). Rows with `privileged: 'net_raw'` run in a child process without
// CAP_NET_RAW (test/helpers/netns.ts runWithoutCaps).

import { once } from 'node:events';
import net from 'node:net';
import { assemble, parseTcpdump } from '../../lib/bpf/index.js';
import { getsockopt, setCongestion, setsockopt } from '../../lib/index.js';
import { constants } from '../../lib/native.js';
import { PacketSocket } from '../../lib/packet/index.js';
import { readPcap } from '../../lib/pcap/index.js';
import { UdpSocket } from '../../lib/udp/index.js';
import { UdpLiteSocket } from '../../lib/udplite/index.js';
import { UnixDatagramSocket } from '../../lib/unix/index.js';

export interface BadInputRow {
  /** The public function or method. */
  fn: string;
  /** The mistake, in words. */
  input: string;
  /** What the user gets: class, code, and for system errors errno and syscall. */
  error: { name: string; code: string; errno?: number; syscall?: string; message?: RegExp };
  /** Reproduces the row; may return a promise (rejections count as thrown). */
  call: () => unknown;
  /** Runs without this capability, in a child process. */
  privileged?: 'net_raw';
}

const closedPacket = () => {
  const socket = PacketSocket.create({ interface: 'lo', ring: false });
  socket.close();
  return socket;
};
const closedUdpLite = () => {
  const socket = UdpLiteSocket.create({ family: 4 });
  socket.close();
  return socket;
};
const closedUdp = () => {
  const socket = UdpSocket.create({ family: 4 });
  socket.close();
  return socket;
};
const closedUnix = () => {
  const socket = UnixDatagramSocket.create();
  socket.close();
  return socket;
};
async function tcpPair<T>(use: (socket: net.Socket) => T): Promise<T> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  try {
    return use(client);
  } finally {
    client.destroy();
    server.close();
  }
}

const typeError = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const valueError = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
const rangeError = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
const closed = { name: 'Error', code: 'ERR_SOCKET_CLOSED', message: /closed/ };

export const BAD_INPUT: BadInputRow[] = [
  // --- PacketSocket ---------------------------------------------------------------------------
  {
    fn: 'PacketSocket.create',
    input: 'options not an object (`"lo"`)',
    error: typeError,
    call: () => PacketSocket.create('lo' as never),
  },
  {
    fn: 'PacketSocket.create',
    input: 'unknown option (`{ iface: "lo" }`)',
    error: valueError,
    call: () => PacketSocket.create({ iface: 'lo' } as never),
  },
  {
    fn: 'PacketSocket.create',
    input: "`mode: 'fast'`",
    error: valueError,
    call: () => PacketSocket.create({ mode: 'fast' } as never),
  },
  {
    fn: 'PacketSocket.create',
    input: '`protocol: 0x10000`',
    error: rangeError,
    call: () => PacketSocket.create({ protocol: 0x10000 }),
  },
  {
    fn: 'PacketSocket.create',
    input: "`protocol: 'ipx'` (unknown name)",
    error: valueError,
    call: () => PacketSocket.create({ protocol: 'ipx' } as never),
  },
  {
    fn: 'PacketSocket.create',
    input: '`snapLength: 0`',
    error: rangeError,
    call: () => PacketSocket.create({ snapLength: 0 }),
  },
  {
    fn: 'PacketSocket.create',
    input: '`ring: { blockSize: 5000 }` (not a page multiple)',
    error: rangeError,
    call: () => PacketSocket.create({ ring: { blockSize: 5000 } }),
  },
  {
    fn: 'PacketSocket.create',
    input: '`interface: "nope0"` (no such interface)',
    error: { name: 'Error', code: 'ENODEV', errno: -19, syscall: 'if_nametoindex', message: /no interface "nope0"/ },
    call: () => PacketSocket.create({ interface: 'nope0' }),
  },
  {
    fn: 'PacketSocket.create',
    input: '`filter` the kernel would refuse (no `ret`)',
    error: { name: 'BpfValidationError', code: 'ERR_BPF_INVALID' },
    call: () => PacketSocket.create({ filter: [{ code: 0x20, jt: 0, jf: 0, k: 0 }] }),
  },
  {
    fn: 'PacketSocket.create',
    input: '`lockFilter: true` without a filter',
    error: valueError,
    call: () => PacketSocket.create({ lockFilter: true }),
  },
  {
    fn: 'PacketSocket.create',
    input: 'process without CAP_NET_RAW',
    error: {
      name: 'Error',
      code: 'EPERM',
      errno: -1,
      syscall: 'socket',
      message: /packet sockets need CAP_NET_RAW.*setcap cap_net_raw\+ep/,
    },
    call: () => PacketSocket.create({ interface: 'lo' }),
    privileged: 'net_raw',
  },
  {
    fn: 'PacketSocket#setFilter',
    input: 'locked filter (SO_LOCK_FILTER)',
    error: { name: 'Error', code: 'EPERM', errno: -1, syscall: 'setsockopt', message: /locked/ },
    call: () => {
      const socket = PacketSocket.create({
        interface: 'lo',
        ring: false,
        filter: [{ code: 6, jt: 0, jf: 0, k: 0 }],
        lockFilter: true,
      });
      try {
        socket.setFilter(null);
      } finally {
        socket.close();
      }
    },
  },
  { fn: 'PacketSocket#setFilter', input: 'closed socket', error: closed, call: () => closedPacket().setFilter(null) },
  { fn: 'PacketSocket#send', input: 'closed socket', error: closed, call: () => closedPacket().send(Buffer.alloc(60)) },
  {
    fn: 'PacketSocket#send',
    input: 'data not bytes (`42`)',
    error: typeError,
    call: () => {
      const socket = PacketSocket.create({ interface: 'lo', ring: false });
      try {
        return socket.send(42 as never); // argument errors throw (docs/sockets.md)
      } finally {
        socket.close();
      }
    },
  },
  {
    fn: 'PacketSocket#send',
    input: '`{ interface: "nope0" }`',
    error: { name: 'Error', code: 'ENODEV', errno: -19, syscall: 'if_nametoindex' },
    call: () => {
      const socket = PacketSocket.create({ interface: 'lo', ring: false });
      try {
        return socket.send(Buffer.alloc(60), { interface: 'nope0' });
      } finally {
        socket.close();
      }
    },
  },
  // --- UdpLiteSocket ----------------------------------------------------------------------------
  {
    fn: 'UdpLiteSocket.create',
    input: 'no options',
    error: typeError,
    call: () => UdpLiteSocket.create(undefined as never),
  },
  {
    fn: 'UdpLiteSocket.create',
    input: '`family: 5`',
    error: valueError,
    call: () => UdpLiteSocket.create({ family: 5 } as never),
  },
  {
    fn: 'UdpLiteSocket.create',
    input: '`sendCoverage: 70000`',
    error: rangeError,
    call: () => UdpLiteSocket.create({ family: 4, sendCoverage: 70000 }),
  },
  {
    fn: 'UdpLiteSocket#bind',
    input: 'port 70000',
    error: rangeError,
    call: () => closeAfter(UdpLiteSocket.create({ family: 4 }), (s) => s.bind(70000)),
  },
  {
    fn: 'UdpLiteSocket#bind',
    input: 'address not an IP (`"localhost!"`)',
    error: valueError,
    call: () => closeAfter(UdpLiteSocket.create({ family: 4 }), (s) => s.bind(0, 'localhost!')),
  },
  {
    fn: 'UdpLiteSocket#send',
    input: 'closed socket',
    error: closed,
    call: () => closedUdpLite().send('x', 9, '127.0.0.1'),
  },
  { fn: 'UdpLiteSocket#sendCoverage', input: 'closed socket', error: closed, call: () => closedUdpLite().sendCoverage },
  // --- UdpSocket --------------------------------------------------------------------------------
  {
    fn: 'UdpSocket.create',
    input: 'unknown option (`{ family: 4, recievePacketInfo: true }`)',
    error: valueError,
    call: () => UdpSocket.create({ family: 4, recievePacketInfo: true } as never),
  },
  {
    fn: 'UdpSocket.create',
    input: '`tos: 256`',
    error: rangeError,
    call: () => UdpSocket.create({ family: 4, tos: 256 }),
  },
  {
    fn: 'UdpSocket.create',
    input: "`mtuDiscovery: 'sometimes'`",
    error: valueError,
    call: () => UdpSocket.create({ family: 4, mtuDiscovery: 'sometimes' as never }),
  },
  {
    fn: 'UdpSocket.create',
    input: '`bindToDevice: "nope0"` (no such interface)',
    error: { name: 'Error', code: 'ENODEV', errno: -19, syscall: 'setsockopt' },
    call: () => UdpSocket.create({ family: 4, bindToDevice: 'nope0' }),
  },
  {
    fn: 'UdpSocket#send',
    input: '`{ port: 9, source: "here" }` (not an address)',
    error: valueError,
    call: () => UdpSocket.create({ family: 4 }).send('x', { port: 9, source: 'here' }),
  },
  {
    fn: 'UdpSocket#send',
    input: '`{ port: 9, segmentSize: 0 }`',
    error: rangeError,
    call: () => UdpSocket.create({ family: 4 }).send('x', { port: 9, segmentSize: 0 }),
  },
  {
    fn: 'UdpSocket#remoteAddress',
    input: 'not connected',
    error: { name: 'Error', code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' },
    call: () => UdpSocket.create({ family: 4 }).remoteAddress(),
  },
  { fn: 'UdpSocket#sendBatch', input: 'closed socket', error: closed, call: () => closedUdp().sendBatch([]) },
  // --- UnixDatagramSocket -----------------------------------------------------------------------
  {
    fn: 'UnixDatagramSocket.create',
    input: '`maxDatagramSize: 0`',
    error: rangeError,
    call: () => UnixDatagramSocket.create({ maxDatagramSize: 0 }),
  },
  {
    fn: 'UnixDatagramSocket#bind',
    input: 'path longer than sun_path (200 bytes)',
    error: rangeError,
    call: () => closeAfter(UnixDatagramSocket.create(), (s) => s.bind(`/tmp/${'x'.repeat(200)}`)),
  },
  {
    fn: 'UnixDatagramSocket#send',
    input: 'path where nothing is bound',
    error: { name: 'Error', code: 'ENOENT', errno: -2, syscall: 'sendmsg' },
    call: () => closeAfter(UnixDatagramSocket.create(), (s) => s.send('x', '/nonexistent/rawsock.sock')),
  },
  {
    fn: 'UnixDatagramSocket#bind',
    input: 'closed socket',
    error: closed,
    call: () => closedUnix().bind('@rawsock-closed'),
  },
  // --- socket options -----------------------------------------------------------------------------
  {
    fn: 'setsockopt',
    input: 'target not a socket (`{}`)',
    error: typeError,
    call: () => setsockopt({} as never, constants.SOL_SOCKET, constants.SO_RCVBUF, 1),
  },
  {
    fn: 'getsockopt',
    input: "kind `'float'`",
    error: valueError,
    call: () => getsockopt(0, constants.SOL_SOCKET, constants.SO_TYPE, 'float' as never),
  },
  {
    fn: 'setsockopt',
    input: 'option the socket does not have (TCP_CONGESTION on UDP-Lite)',
    error: { name: 'Error', code: 'ENOPROTOOPT', errno: -92, syscall: 'setsockopt' },
    call: () =>
      closeAfter(UdpLiteSocket.create({ family: 4 }), (s) =>
        setsockopt(s, constants.IPPROTO_TCP, constants.TCP_CONGESTION, 'reno'),
      ),
  },
  {
    fn: 'getsockopt',
    input: 'closed rawsock socket',
    error: closed,
    call: () => getsockopt(closedUdpLite(), constants.SOL_SOCKET, constants.SO_TYPE, 'int'),
  },
  // --- TCP congestion ---------------------------------------------------------------------------
  {
    fn: 'setCongestion',
    input: 'name not a string (`5`)',
    error: typeError,
    call: () => tcpPair((s) => setCongestion(s, 5 as never)),
  },
  {
    fn: 'setCongestion',
    input: 'name longer than 15 bytes',
    error: rangeError,
    call: () => tcpPair((s) => setCongestion(s, 'x'.repeat(16))),
  },
  {
    fn: 'setCongestion',
    input: 'algorithm the kernel does not have',
    error: { name: 'Error', code: 'ENOENT', errno: -2, syscall: 'setsockopt' },
    call: () => tcpPair((s) => setCongestion(s, 'nope')),
  },
  // --- BPF and pcap text/bytes --------------------------------------------------------------------
  {
    fn: 'bpf.parseTcpdump',
    input: 'text that is not tcpdump -dd/-ddd output',
    error: { name: 'TcpdumpParseError', code: 'ERR_BPF_TCPDUMP_PARSE' },
    call: () => parseTcpdump('hello'),
  },
  {
    fn: 'bpf.assemble',
    input: 'unknown instruction',
    error: { name: 'BpfAssemblyError', code: 'ERR_BPF_ASSEMBLY' },
    call: () => assemble('foo #1'),
  },
  {
    fn: 'readPcap',
    input: 'bytes without a pcap header',
    error: { name: 'PcapFormatError', code: 'ERR_PCAP_FORMAT' },
    call: () => readPcap(new Uint8Array(10)),
  },
];

function closeAfter<S extends { close(): void }>(socket: S, use: (s: S) => unknown): unknown {
  let result: unknown;
  try {
    result = use(socket);
  } catch (error) {
    socket.close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => socket.close());
  socket.close();
  return result;
}

/** The Markdown table of docs/bad-input.md. */
export function renderBadInputTable(): string {
  const lines = ['| function | input | error | code | errno / syscall |', '|---|---|---|---|---|'];
  for (const row of BAD_INPUT) {
    const e = row.error;
    const sys = e.syscall ? `${e.errno} / \`${e.syscall}\`` : '';
    const input = row.privileged ? `${row.input} (run without CAP_NET_RAW)` : row.input;
    lines.push(`| \`${row.fn}\` | ${input.replace(/\|/g, '\\|')} | ${e.name} | \`${e.code}\` | ${sys} |`);
  }
  return `${lines.join('\n')}\n`;
}
