// A UDP echo server for a host with several addresses: it listens on all of them (0.0.0.0 or ::)
// and answers each request from the address the request was sent to, on the interface it came
// in on. node:dgram cannot: its socket does not learn the destination of a datagram, and its
// replies leave from whatever address the route prefers, which a client that sent to another
// address (or through NAT) drops. This is IP_PKTINFO on receive and on send.
//
//   npm run example:udp-pktinfo -- --port 5300              # serve until Ctrl-C
//   npm run example:udp-pktinfo -- --port 0 --demo          # ask 127.0.0.1 and 127.0.0.2, print, exit
//
// Each request prints as "request to ADDRESS:PORT on INTERFACE from PEER (ttl N): reply from ADDRESS".
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UdpSocket } from '../lib/udp/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p', default: '5300' },
    ipv6: { type: 'boolean', short: '6', default: false },
    demo: { type: 'boolean', default: false },
  },
});

const family = values.ipv6 ? 6 : 4;
const server = UdpSocket.create({ family, receivePacketInfo: true, receiveTtl: true }).bind(Number(values.port));
const { port } = server.address();
console.log(`echo server on ${family === 6 ? '[::]' : '0.0.0.0'}:${port}`);

// Interface names by index, looked up once each: the kernel gives only the index, and
// /sys/class/net/NAME/ifindex maps names to indexes.
const names = new Map<number, string>();
function interfaceName(index: number): string {
  let name = names.get(index);
  if (name === undefined) {
    name =
      readdirSync('/sys/class/net').find(
        (n) => Number(readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8')) === index,
      ) ?? `#${index}`;
    names.set(index, name);
  }
  return name;
}

server.on('message', async (m) => {
  const via = interfaceName(m.interfaceIndex ?? 0);
  const source = m.localAddress;
  console.log(
    `request to ${source}:${port} on ${via} from ${m.address}:${m.port} (ttl ${m.ttl}): reply from ${source}`,
  );
  await server.send(m.data, { port: m.port, address: m.address, source, interface: m.interfaceIndex });
});

if (values.demo) {
  // 127.0.0.0/8 is all this host's: a client asks two of its addresses and sees who answers.
  const targets = family === 6 ? ['::1'] : ['127.0.0.1', '127.0.0.2'];
  const client = UdpSocket.create({ family });
  const answers = client.messages({ signal: AbortSignal.timeout(5000) });
  for (const target of targets) {
    await client.send(`hello ${target}`, port, target);
    const { value } = await answers.next();
    console.log(`client: "${value.data}" answered by ${value.address}:${value.port}`);
  }
  await answers.return?.();
  client.close();
  server.close();
}
