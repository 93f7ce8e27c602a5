// rawsock-udplite.ts STYLE PORT COUNT SIZE - UdpLiteSocket connected to 127.0.0.1:PORT (styles.ts).
import { UdpLiteSocket } from '../../../lib/udplite/index.js';
import harness from './harness.cjs';
import { drive, parseStyle } from './styles.js';

const style = parseStyle(process.argv[2]);
const port = Number(process.argv[3]);
const { count, payload } = harness.countAndPayload(4);
const socket = UdpLiteSocket.create({ family: 4 });
await socket.connect(port, '127.0.0.1');
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
