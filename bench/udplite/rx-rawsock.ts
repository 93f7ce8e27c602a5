// rx-rawsock.ts PORT STYLE WORK [COALESCE_MS] - rawsock's UdpLiteSocket bound to 127.0.0.1:PORT as a
// bench/udplite receiver (contract: bench/README.md: READY once receiving; received=N and
// kernel_drops=D on SIGINT/SIGTERM), written as docs/udplite.md shows it. The receive buffer matches
// rx/node_dgram.cjs (4 MiB asked). COALESCE_MS is the socket's coalesceMs option (a number or 'auto'; left out: the default, 'auto').
//   STYLE  for-await: `for await (const msg of socket)`;  events: socket.on('message', ...)
//   WORK   count: count the messages only;  payload: also read each payload's 32-bit sequence number
//          and last byte, as a program that looks at what it received does
import { UdpLiteSocket } from '../../lib/index.js';
import { runMessageReceiver } from '../harness/rx/message-loop.js';

const [portArg, style = 'events', work = 'count', coalesceArg] = process.argv.slice(2);
const port = Number(portArg);
// No COALESCE_MS: the default ('auto'), as a user who sets nothing gets.
const coalesce =
  coalesceArg === undefined ? {} : { coalesceMs: coalesceArg === 'auto' ? ('auto' as const) : Number(coalesceArg) };
if (
  !Number.isInteger(port) ||
  port <= 0 ||
  !['for-await', 'events'].includes(style) ||
  !['count', 'payload'].includes(work)
) {
  console.error('usage: rx-rawsock.ts PORT for-await|events count|payload [COALESCE_MS]');
  process.exit(2);
}
const socket = UdpLiteSocket.create({ family: 4, receiveBufferSize: 4 << 20, ...coalesce });
socket.bind(port, '127.0.0.1');
runMessageReceiver(socket, style, work, `rcvbuf=${socket.receiveBufferSize} `);
