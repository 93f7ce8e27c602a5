// rx-rawsock.ts PATH - rawsock's UnixDatagramSocket bound to PATH, counting 'message' events, for
// bench/harness (receiver contract: READY once receiving; received=N and kernel_drops=D on
// SIGINT/SIGTERM). Unix datagrams are flow-controlled, so drops stay 0: the sender waits instead.
import { constants, getsockopt } from '../../lib/index.js';
import { UnixDatagramSocket } from '../../lib/unix/index.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: rx-rawsock.ts PATH');
  process.exit(2);
}
const socket = UnixDatagramSocket.create().bind(path, { removeStale: true });
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
  socket.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
