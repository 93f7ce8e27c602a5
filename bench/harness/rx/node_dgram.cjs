// node_dgram.cjs PORT [RCVBUF] - Node's own dgram UDP socket bound to 127.0.0.1:PORT,
// counting 'message' events. Prints READY once bound, received=N on SIGINT/SIGTERM.
'use strict';
const dgram = require('node:dgram');
const port = Number(process.argv[2]);
const rcvbuf = Number(process.argv[3] || 4 << 20);
const opts = { type: 'udp4' };
if (rcvbuf > 0) opts.recvBufferSize = rcvbuf;
const s = dgram.createSocket(opts);
let n = 0;
s.on('message', () => {
  n++;
});
s.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
s.bind(port, '127.0.0.1', () => {
  console.log('READY');
});
function done() {
  console.log(`received=${n} rcvbuf=${s.getRecvBufferSize()}`);
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
