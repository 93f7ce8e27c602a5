// Sends datagrams to a Unix datagram socket, as `socat - UNIX-CLIENT:PATH` does, for daemons that
// wait on one (OSSEC's queue/alerts/execq, syslog's /dev/log, systemd's notify socket). Writing to
// such a socket with `echo … > PATH` fails with ENXIO: it is a socket, not a file.
//
//   npm run example:unix-send -- PATH 'MESSAGE'        one datagram
//   printf 'a\nb\n' | npm run example:unix-send -- PATH  one datagram per line of stdin
//
// PATH is a filesystem path or an abstract name written '@name'. Options: --newline keeps each
// line's '\n' (socat sends what it reads, newline included), --unnamed sends from an unbound
// socket (the receiver sees no sender address).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { UnixDatagramSocket } from '../lib/unix/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    newline: { type: 'boolean', default: false },
    unnamed: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || positionals.length < 1 || positionals.length > 2) {
  console.error('usage: unix-send [--newline] [--unnamed] PATH [MESSAGE]   (without MESSAGE: each stdin line)');
  process.exit(values.help ? 0 : 2);
}
const [path, message] = positionals;
const suffix = values.newline ? '\n' : '';
const socket = UnixDatagramSocket.create({ autobind: !values.unnamed });

try {
  // connect() checks the path once, up front: nothing there, a stale file, a stream socket.
  socket.connect(path);
  if (message !== undefined) {
    await socket.send(message + suffix);
  } else {
    let count = 0;
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
      await socket.send(line + suffix); // waits while the receiver's queue is full: nothing is dropped
      count++;
    }
    console.error(`unix-send: ${count} datagram${count === 1 ? '' : 's'} sent to ${path}`);
  }
} catch (error) {
  console.error(`unix-send: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  socket.close();
}
