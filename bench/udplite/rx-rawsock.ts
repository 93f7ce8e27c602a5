// rx-rawsock.ts PORT [RCVBUF] [COALESCE_MS] - rawsock's UdpLiteSocket bound to 127.0.0.1:PORT,
// counting 'message' events, for bench/harness (receiver contract: READY once receiving;
// received=N and kernel_drops=D on SIGINT/SIGTERM). The receive buffer matches rx/node_dgram.cjs
// (4 MiB asked). COALESCE_MS is the socket's coalesceMs option (default 0: off).
import { constants, getsockopt } from '../../lib/index.js';
import { UdpLiteSocket } from '../../lib/udplite/index.js';

const port = Number(process.argv[2]);
const receiveBufferSize = Number(process.argv[3] || 4 << 20);
const coalesceMs = Number(process.argv[4] || 0);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: rx-rawsock.ts PORT [RCVBUF] [COALESCE_MS]');
  process.exit(2);
}
const socket = UdpLiteSocket.create({ family: 4, receiveBufferSize, coalesceMs });
socket.bind(port, '127.0.0.1');
let received = 0;
socket.on('message', () => {
  received++;
});
console.log('READY');

function done(): void {
  // SO_MEMINFO: an array of uint32 counters, SK_MEMINFO_DROPS at index 8 (linux/sock_diag.h).
  const meminfo = getsockopt(socket, constants.SOL_SOCKET, constants.SO_MEMINFO, 'bytes', 9 * 4);
  const drops = meminfo.length >= 36 ? meminfo.readUInt32LE(32) : -1;
  console.log(`received=${received}`);
  console.log(`kernel_drops=${drops}`);
  console.log(`rcvbuf=${socket.receiveBufferSize}`);
  socket.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
