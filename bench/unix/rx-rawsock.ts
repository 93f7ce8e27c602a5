// rx-rawsock.ts PATH STYLE WORK - rawsock's UnixDatagramSocket bound to PATH as a bench/unix receiver
// (contract: bench/README.md: READY once receiving; received=N and kernel_drops=D on SIGINT/SIGTERM),
// written as docs/unix.md shows it. Unix datagrams are flow-controlled, so drops stay 0: the sender
// waits instead, and a slow receiver shows as a lower rate.
//   STYLE  for-await: `for await (const message of socket)`;  events: socket.on('message', ...)
//   WORK   count: count the messages only;  payload: also read each payload's 32-bit sequence number
//          and last byte, as a program that looks at what it received does
import { constants, getsockopt, type UnixDatagramMessage, UnixDatagramSocket } from '../../lib/index.js';

const [path, style = 'events', work = 'count'] = process.argv.slice(2);
if (!path || !['for-await', 'events'].includes(style) || !['count', 'payload'].includes(work)) {
  console.error('usage: rx-rawsock.ts PATH for-await|events count|payload');
  process.exit(2);
}
const socket = UnixDatagramSocket.create().bind(path, { removeStale: true });
const readPayload = work === 'payload';
let received = 0;
let acc = 0;

function onMessage(message: UnixDatagramMessage): void {
  received++;
  if (readPayload) {
    const data = message.data;
    acc += data.readUInt32LE(0) + (data[data.length - 1] as number);
  }
}

if (style === 'events') socket.on('message', onMessage);
else {
  (async () => {
    for await (const message of socket) onMessage(message);
  })();
}
console.log(`READY style=${style} work=${work}`);

function done(): void {
  // SO_MEMINFO: an array of uint32 counters, SK_MEMINFO_DROPS at index 8 (linux/sock_diag.h).
  const meminfo = getsockopt(socket, constants.SOL_SOCKET, constants.SO_MEMINFO, 'bytes', 9 * 4);
  const drops = meminfo.length >= 36 ? meminfo.readUInt32LE(32) : -1;
  console.log(`received=${received}`);
  console.log(`kernel_drops=${drops}`);
  console.log(`acc=${acc}`);
  socket.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
