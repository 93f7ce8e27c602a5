// rx-rawsock.ts PORT STYLE WORK [COALESCE_MS] - rawsock's UdpLiteSocket bound to 127.0.0.1:PORT as a
// bench/udplite receiver (contract: bench/README.md: READY once receiving; received=N and
// kernel_drops=D on SIGINT/SIGTERM), written as docs/udplite.md shows it. The receive buffer matches
// rx/node_dgram.cjs (4 MiB asked). COALESCE_MS is the socket's coalesceMs option (default 0: off).
//   STYLE  for-await: `for await (const msg of socket)`;  events: socket.on('message', ...)
//   WORK   count: count the messages only;  payload: also read each payload's 32-bit sequence number
//          and last byte, as a program that looks at what it received does
import { constants, getsockopt, type UdpLiteMessage, UdpLiteSocket } from '../../lib/index.js';

const [portArg, style = 'events', work = 'count', coalesceArg = '0'] = process.argv.slice(2);
const port = Number(portArg);
const coalesceMs = Number(coalesceArg);
if (
  !Number.isInteger(port) ||
  port <= 0 ||
  !['for-await', 'events'].includes(style) ||
  !['count', 'payload'].includes(work)
) {
  console.error('usage: rx-rawsock.ts PORT for-await|events count|payload [COALESCE_MS]');
  process.exit(2);
}
const socket = UdpLiteSocket.create({ family: 4, receiveBufferSize: 4 << 20, coalesceMs });
socket.bind(port, '127.0.0.1');
const readPayload = work === 'payload';
let received = 0;
let acc = 0;

function onMessage(message: UdpLiteMessage): void {
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
  console.log(`rcvbuf=${socket.receiveBufferSize} acc=${acc}`);
  socket.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
