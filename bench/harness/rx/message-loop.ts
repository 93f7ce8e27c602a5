// message-loop.ts - the receive loop of the bench/udplite and bench/unix rawsock receivers, written
// as a user would (docs/udplite.md, docs/unix.md), and the receiver contract of bench/README.md:
// READY once receiving; received=N and kernel_drops=D on SIGINT/SIGTERM.
//   style  for-await: `for await (const message of socket)`;  events: socket.on('message', ...)
//   work   count: count the messages only;  payload: also read each payload's 32-bit sequence
//          number and last byte, as a program that looks at what it received does
import { constants, getsockopt } from '../../../lib/index.js';

interface MessageSocket extends AsyncIterable<{ data: Buffer }> {
  on(event: 'message', listener: (message: { data: Buffer }) => void): unknown;
  close(): void;
}

/** Receives on `socket` in `style` until SIGINT/SIGTERM; `report` adds to the acc= line. */
export function runMessageReceiver(socket: MessageSocket, style: string, work: string, report = ''): void {
  const readPayload = work === 'payload';
  let received = 0;
  let acc = 0;
  const onMessage = (message: { data: Buffer }): void => {
    received++;
    if (readPayload) {
      const data = message.data;
      acc += data.readUInt32LE(0) + (data[data.length - 1] as number);
    }
  };
  if (style === 'events') socket.on('message', onMessage);
  else {
    (async () => {
      for await (const message of socket) onMessage(message);
    })();
  }
  console.log(`READY style=${style} work=${work}`);
  const done = (): void => {
    // SO_MEMINFO: an array of uint32 counters, SK_MEMINFO_DROPS at index 8 (linux/sock_diag.h).
    const meminfo = getsockopt(socket as never, constants.SOL_SOCKET, constants.SO_MEMINFO, 'bytes', 9 * 4);
    const drops = meminfo.length >= 36 ? meminfo.readUInt32LE(32) : -1;
    console.log(`received=${received}`);
    console.log(`kernel_drops=${drops}`);
    console.log(`${report}acc=${acc}`);
    socket.close();
    process.exit(0);
  };
  process.on('SIGINT', done);
  process.on('SIGTERM', done);
}
