// rx-rawsock.ts PATH STYLE WORK - rawsock's UnixDatagramSocket bound to PATH as a bench/unix receiver
// (contract: bench/README.md: READY once receiving; received=N and kernel_drops=D on SIGINT/SIGTERM),
// written as docs/unix.md shows it. Unix datagrams are flow-controlled, so drops stay 0: the sender
// waits instead, and a slow receiver shows as a lower rate.
//   STYLE  for-await: `for await (const message of socket)`;  events: socket.on('message', ...)
//   WORK   count: count the messages only;  payload: also read each payload's 32-bit sequence number
//          and last byte, as a program that looks at what it received does
import { UnixDatagramSocket } from '../../lib/index.js';
import { runMessageReceiver } from '../harness/rx/message-loop.js';

const [path, style = 'events', work = 'count'] = process.argv.slice(2);
if (!path || !['for-await', 'events'].includes(style) || !['count', 'payload'].includes(work)) {
  console.error('usage: rx-rawsock.ts PATH for-await|events count|payload');
  process.exit(2);
}
const socket = UnixDatagramSocket.create().bind(path, { removeStale: true });
runMessageReceiver(socket, style, work, '');
