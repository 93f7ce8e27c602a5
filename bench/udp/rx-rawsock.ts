// rx-rawsock.ts PORT [RCVBUF] [COALESCE_MS] [info] - rawsock's UdpSocket bound to 127.0.0.1:PORT,
// counting 'message' events, for bench/harness (receiver contract: READY once receiving;
// received=N and kernel_drops=D on SIGINT/SIGTERM). The receive buffer matches rx/node_dgram.cjs
// (4 MiB asked). COALESCE_MS is the socket's coalesceMs option (default 0: off). `info` turns on
// receivePacketInfo and receiveTtl (two control messages per datagram), to show what they cost.
import { constants, getsockopt } from '../../lib/index.js';
import { UdpSocket } from '../../lib/udp/index.js';

const port = Number(process.argv[2]);
const receiveBufferSize = Number(process.argv[3] || 4 << 20);
const coalesceMs = Number(process.argv[4] || 0);
const info = process.argv[5] === 'info';
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: rx-rawsock.ts PORT [RCVBUF] [COALESCE_MS] [info]');
  process.exit(2);
}
const socket = UdpSocket.create({
  family: 4,
  receiveBufferSize,
  coalesceMs,
  receivePacketInfo: info,
  receiveTtl: info,
}).bind(port, '127.0.0.1');
let received = 0;
let last = 0;
socket.on('message', (m) => {
  received++;
  last = m.data[m.data.length - 1] ?? 0; // touch the payload, as the peers do
});
console.log('READY');

function done(): void {
  // SO_MEMINFO: an array of uint32 counters, SK_MEMINFO_DROPS at index 8 (linux/sock_diag.h).
  const meminfo = getsockopt(socket, constants.SOL_SOCKET, constants.SO_MEMINFO, 'bytes', 9 * 4);
  const drops = meminfo.length >= 36 ? meminfo.readUInt32LE(32) : -1;
  console.log(`received=${received}`);
  console.log(`kernel_drops=${drops}`);
  console.log(`rcvbuf=${socket.receiveBufferSize} last=${last}`);
  socket.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
