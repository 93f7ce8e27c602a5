// Receives on a Unix datagram socket and prints each datagram: the other half of unix-send, and a
// stand-in for a daemon's queue socket (like OSSEC's queue/alerts/execq) when trying a client.
//
//   npm run example:unix-receive -- PATH [--credentials] [--count N]
//
// PATH is a filesystem path or '@name'. A stale socket file left at PATH by a receiver that died
// is replaced; anything else at PATH is left alone. Ctrl-C closes the socket and removes its file.
import { parseArgs } from 'node:util';
import { UnixDatagramSocket } from '../lib/unix/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    credentials: { type: 'boolean', short: 'c', default: false },
    count: { type: 'string', short: 'n' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || positionals.length !== 1) {
  console.error('usage: unix-receive PATH [--credentials] [--count N]');
  process.exit(values.help ? 0 : 2);
}
const [path] = positionals;
const limit = values.count === undefined ? Number.POSITIVE_INFINITY : Number(values.count);

let socket: UnixDatagramSocket;
try {
  socket = UnixDatagramSocket.create({ passCredentials: values.credentials }).bind(path, { removeStale: true });
} catch (error) {
  console.error(`unix-receive: ${(error as Error).message}`);
  process.exit(1);
}
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
console.error(`unix-receive: listening on ${socket.address()}`);

// Printable text as is (one trailing newline dropped), anything else as hex.
const show = (data: Buffer) => {
  const text = data.toString('utf8');
  const printable = !text.includes('\uFFFD') && /^[\P{Cc}\t\n\r]*$/u.test(text);
  return printable ? JSON.stringify(text.replace(/\n$/, '')) : `hex:${data.toString('hex')}`;
};

let received = 0;
try {
  for await (const message of socket.messages({ signal: controller.signal })) {
    const from = message.sender ?? '(unnamed)';
    const creds = message.credentials;
    const who = creds ? ` pid=${creds.pid} uid=${creds.uid} gid=${creds.gid}` : '';
    const cut = message.truncated ? ` (truncated from ${message.size} bytes)` : '';
    console.log(`${from}${who}: ${show(message.data)}${cut}`);
    if (++received >= limit) break;
  }
} catch (error) {
  if ((error as Error).name !== 'AbortError') throw error;
} finally {
  socket.close();
}
