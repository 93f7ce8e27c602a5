// Run in a fresh network namespace whose net.core.optmem_max is small (test/packet-delivery.test.ts):
// the kernel refuses a long filter with ENOMEM *after* setFilter attached drop-all, the case where
// the previous program must be put back. Prints one JSON line with what it saw.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { compile } from '../../lib/bpf/compile.js';
import { PacketSocket } from '../../lib/packet/index.js';
import { waitUntil } from './wait.js';

const listener = dgram.createSocket('udp4');
listener.bind(0, '127.0.0.1');
await once(listener, 'listening');
const port = listener.address().port;
const socket = PacketSocket.create({ interface: 'lo', filter: compile(`udp dst port ${port}`), ignoreOutgoing: true });
const previousLength = socket.filter?.length;
let received = 0;
socket.on('packet', () => received++);

// 1,024 instructions that validate (loads, then accept): far above the namespace's optmem_max.
const long = [
  ...Array.from({ length: 1023 }, () => ({ code: 0x28, jt: 0, jf: 0, k: 12 })),
  { code: 0x06, jt: 0, jf: 0, k: 0x40000 },
];
let code: string | undefined;
try {
  socket.setFilter(long);
} catch (error) {
  code = (error as NodeJS.ErrnoException).code;
}

const sender = dgram.createSocket('udp4');
for (let i = 0; i < 5; i++) sender.send('x', port, '127.0.0.1');
await waitUntil(() => received >= 5, 5000);
console.log(
  JSON.stringify({
    code,
    previousLength,
    filterLength: socket.filter?.length,
    kernelFilterLength: socket.kernelFilter()?.length,
    received,
  }),
);
socket.close();
listener.close();
sender.close();
