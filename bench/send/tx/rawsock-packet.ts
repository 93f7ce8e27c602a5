// rawsock-packet.ts raw|cooked STYLE PORT COUNT SIZE - PacketSocket on lo sending IPv4/UDP packets
// to 10.99.0.1:PORT, whole Ethernet frames ('raw') or the IP packet with the kernel adding the
// link header ('cooked'), driven as styles.ts says. The socket is opened the way a sender that
// receives nothing would open it: bound to lo for IPv4 with a drop-all filter and no ring, so no
// packet is queued to it (the C reference uses protocol 0, which receives nothing either).
import { buildEthernetFrame, buildIPv4Packet, buildUdpDatagram } from '../../../lib/decode/index.js';
import { DROP_ALL, type PacketDatagram, PacketSocket } from '../../../lib/packet/index.js';
import harness from './harness.cjs';
import { drive, parseStyle } from './styles.js';

const mode = process.argv[2];
if (mode !== 'raw' && mode !== 'cooked') {
  console.error('usage: rawsock-packet.ts raw|cooked STYLE PORT COUNT SIZE');
  process.exit(2);
}
const style = parseStyle(process.argv[3]);
const port = Number(process.argv[4]);
const { count, payload } = harness.countAndPayload(5);
// 10.99.0.1/24 is on lo in the run's netns (send.py): 127/8 packets without a route are dropped
const ends = { source: '10.99.0.2', destination: '10.99.0.1' };
const udp = buildUdpDatagram({ ...ends, sourcePort: 40000, destinationPort: port, payload, checksum: false });
const ip = buildIPv4Packet({ ...ends, protocol: 17, payload: udp });
const zero = '00:00:00:00:00:00'; // lo's address, and so the destination
const packet =
  mode === 'raw' ? buildEthernetFrame({ destination: zero, source: zero, etherType: 0x0800, payload: ip }) : ip;
const socket = PacketSocket.open({ mode, interface: 'lo', protocol: 'ipv4', filter: DROP_ALL, ring: false });
const options = mode === 'raw' ? {} : { destination: zero };
const batches = new Map<number, PacketDatagram[]>();
const batchOf = (n: number) => {
  let batch = batches.get(n);
  if (!batch) batches.set(n, (batch = Array.from({ length: n }, () => ({ data: packet, ...options }))));
  return batch;
};
await drive(style, count, {
  send: () => socket.send(packet, options),
  trySend: () => socket.trySend(packet, options),
  sendBatch: (n) => socket.sendBatch(batchOf(n)),
}).catch(harness.fail);
