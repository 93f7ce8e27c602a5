// rx-rawsock.ts IFACE FILTER_FILE [batch|packet|iterator] [ring|ring-reuse|recvmmsg]
// rawsock's PacketSocket as a bench/capture receiver (contract: bench/README.md). FILTER_FILE
// holds `tcpdump -dd` output, parsed with lib/bpf's parseTcpdump and attached before bind.
//   batch:    'batch' events, reading each packet's last byte through the PacketBatch accessors
//             (no object per packet) - the cheapest API;
//   packet:   'packet' events, one Packet object per packet, reading packet.data's last byte;
//   iterator: `for await (const packet of socket)`, the same per packet, with backpressure.
// Prints READY once receiving; on SIGINT/SIGTERM prints received=N kernel_drops=D and exits.
import { readFileSync } from 'node:fs';
import { parseTcpdump } from '../../lib/bpf/tcpdump.js';
import { PacketSocket } from '../../lib/packet/index.js';

const [iface = 'lo', filterFile, api = 'batch', path = 'ring'] = process.argv.slice(2);
const filter = filterFile ? parseTcpdump(readFileSync(filterFile, 'utf8')) : undefined;
const socket = PacketSocket.create({
  interface: iface,
  ...(filter ? { filter } : {}),
  // ring-reuse: ring.reuseBatchMemory, the 'batch' listener reads each batch before it returns.
  ring: path === 'ring' ? true : path === 'ring-reuse' ? { reuseBatchMemory: true } : false,
  // Like tcpdump on lo: each datagram once (the incoming copy), not also as outgoing.
  ignoreOutgoing: true,
});
let received = 0;
let acc = 0;

if (api === 'batch') {
  socket.on('batch', (batch) => {
    const buffer = batch.buffer;
    for (let i = 0; i < batch.length; i++) acc += buffer[batch.offset(i) + batch.capturedLength(i) - 1] as number;
    received += batch.length;
  });
} else if (api === 'packet') {
  socket.on('packet', (packet) => {
    const data = packet.data;
    acc += data[data.length - 1] as number;
    received++;
  });
} else if (api === 'iterator') {
  (async () => {
    for await (const packet of socket) {
      const data = packet.data;
      acc += data[data.length - 1] as number;
      received++;
    }
  })();
} else {
  console.error(`unknown api ${api}: batch, packet or iterator`);
  process.exit(2);
}

console.log(`READY mode=${socket.receiveMode} api=${api}`);
function done(): void {
  const stats = socket.stats();
  console.log(`received=${received} kernel_drops=${stats.dropped} acc=${acc}`);
  socket.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
