// rawsock-unix.ts STYLE PATH COUNT SIZE - UnixDatagramSocket connected to PATH (styles.ts).
import { UnixDatagramSocket } from '../../../lib/unix/index.js';
import harness from './harness.cjs';
import { drive, parseStyle } from './styles.js';

const style = parseStyle(process.argv[2]);
const path = process.argv[3] as string;
const { count, payload } = harness.countAndPayload(4);
const socket = UnixDatagramSocket.create().connect(path);
const batches = new Map<number, { data: Buffer }[]>();
const batchOf = (n: number) => {
  let batch = batches.get(n);
  if (!batch) batches.set(n, (batch = Array.from({ length: n }, () => ({ data: payload }))));
  return batch;
};
await drive(style, count, {
  send: () => socket.send(payload),
  trySend: () => socket.trySend(payload),
  sendBatch: (n) => socket.sendBatch(batchOf(n)),
}).catch(harness.fail);
