// A UDP-Lite client: sends datagrams to an echo server, prints each echo and its round-trip time.
//
//   npm run example:udplite-client -- --port 5000 --send-coverage 12 --count 3 --message hello
//
// See examples/udplite-server.ts for the coverage flags.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { type UdpLiteMessage, UdpLiteSocket, udpLiteSupported } from '../lib/udplite/index.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string', short: 'a', default: '127.0.0.1' },
    port: { type: 'string', short: 'p', default: '5000' },
    'send-coverage': { type: 'string', short: 's' },
    'receive-coverage': { type: 'string', short: 'r' },
    message: { type: 'string', short: 'm', default: 'hello, UDP-Lite' },
    count: { type: 'string', short: 'c', default: '3' },
    timeout: { type: 'string', short: 't', default: '1000' },
  },
});

if (!udpLiteSupported()) {
  console.error('UDP-Lite is not available in this kernel (it was removed in Linux 7.1)');
  process.exit(1);
}

const address = values.address as string;
const port = Number(values.port);
const optional = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const socket = UdpLiteSocket.create({
  family: net.isIPv6(address) ? 6 : 4,
  sendCoverage: optional(values['send-coverage']),
  receiveCoverage: optional(values['receive-coverage']),
});
// connect(): send() needs no address, and only the server's datagrams are received.
socket.connect(port, address);
const replies = socket.messages();
const timeoutMs = Number(values.timeout);
let lost = 0;

for (let i = 1; i <= Number(values.count); i++) {
  const text = `${values.message} #${i}`;
  const start = process.hrtime.bigint();
  await socket.send(text);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  let reply: IteratorResult<UdpLiteMessage> | null;
  try {
    reply = await Promise.race([replies.next(), timeout]);
  } catch (error) {
    // An ICMP port unreachable came back: nothing listens there.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw error;
    console.error(`no UDP-Lite server on ${address}:${port} (${(error as Error).message})`);
    process.exit(1);
  } finally {
    clearTimeout(timer);
  }
  if (reply === null || reply.done) {
    lost++;
    console.log(`${text}: no echo within ${timeoutMs} ms`);
    continue;
  }
  const rtt = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`echo from ${reply.value.address}:${reply.value.port}: ${reply.value.data} (rtt ${rtt.toFixed(3)} ms)`);
}
socket.close();
process.exitCode = lost > 0 ? 1 : 0;
