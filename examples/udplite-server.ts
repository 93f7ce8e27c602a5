// A UDP-Lite echo server: prints each datagram with its sender and sends it back.
//
//   npm run example:udplite-server -- --port 5000 --send-coverage 12 --receive-coverage 12
//   npm run example:udplite-client -- --port 5000 --send-coverage 12 (elsewhere)
//
// --send-coverage N: the echoes' checksum covers only their first N bytes (8-byte header included).
// --receive-coverage N: datagrams covering fewer than N bytes are dropped by the kernel (0: only
// fully covered ones are accepted; not given: every datagram is).
// --coalesce-ms N: under load, read at most every N ms (receive coalescing: far less CPU per
// datagram on a busy server, at most N ms of added delay; the default 0 reads at once).
import net from 'node:net';
import { parseArgs } from 'node:util';
import { UdpLiteSocket, udpLiteSupported } from '../lib/udplite/index.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string', short: 'a', default: '127.0.0.1' },
    port: { type: 'string', short: 'p', default: '5000' },
    'send-coverage': { type: 'string', short: 's' },
    'receive-coverage': { type: 'string', short: 'r' },
    'coalesce-ms': { type: 'string', short: 'c' },
  },
});

if (!udpLiteSupported()) {
  console.error('UDP-Lite is not available in this kernel (it was removed in Linux 7.1)');
  process.exit(1);
}

const address = values.address as string;
const optional = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const socket = UdpLiteSocket.create({
  family: net.isIPv6(address) ? 6 : 4,
  sendCoverage: optional(values['send-coverage']),
  receiveCoverage: optional(values['receive-coverage']),
  coalesceMs: optional(values['coalesce-ms']),
});
socket.bind(Number(values.port), address);
const bound = socket.address();
const receive = socket.receiveCoverage === undefined ? 'any' : `>= ${socket.receiveCoverage} bytes`;
console.log(
  `UDP-Lite echo server on ${bound.address}:${bound.port} ` +
    `(send coverage ${socket.sendCoverage || 'full'}, accepting coverage ${receive})`,
);

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
try {
  for await (const message of socket.messages({ signal: controller.signal })) {
    const cut = message.truncated ? ` (truncated from ${message.size})` : '';
    console.log(`${message.address}:${message.port} sent ${message.data.length} bytes${cut}: ${message.data}`);
    await socket.send(message.data, message.port, message.address);
  }
} catch (error) {
  if ((error as Error).name !== 'AbortError') throw error;
} finally {
  socket.close();
}
