// A TCP server that shows and switches each connection's congestion control algorithm, as in
// "Controlling which congestion control algorithm is used in Linux".
//
//   npm run example:congestion-server -- --port 10000     then, elsewhere:  nc 127.0.0.1 10000
//   npm run demo                                          server and client in one go, then exit
import { once } from 'node:events';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { getCongestion, setCongestion, systemCongestion } from '../lib/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p', default: '10000' },
    host: { type: 'string', short: 'H', default: '127.0.0.1' },
    algorithm: { type: 'string', short: 'a', default: 'reno' },
    demo: { type: 'boolean', default: false },
  },
});

const algorithm = values.algorithm as string;
const server = net.createServer((socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`${peer}: congestion control is ${getCongestion(socket)}`);
  setCongestion(socket, algorithm);
  console.log(`${peer}: switched to ${getCongestion(socket)}`);
  socket.end(`congestion control: ${getCongestion(socket)}\n`);
});

server.listen(values.demo ? 0 : Number(values.port), values.host as string);
await once(server, 'listening');
const { port } = server.address() as net.AddressInfo;
console.log(`listening on ${values.host}:${port} (system default: ${systemCongestion()})`);

if (values.demo) {
  // Self-contained run: one client connects, prints what the server answered, and we exit.
  const client = net.connect(port, values.host as string);
  client.setEncoding('utf8');
  let answer = '';
  client.on('data', (chunk) => {
    answer += chunk;
  });
  await once(client, 'end');
  console.log(`client received: ${answer.trim()}`);
  server.close();
}
