// rx-rawsock.ts STYLE WORK IFACE FILTER_FILE PORT - one receive style of rawsock's PacketSocket (or
// UdpSniffer) as a bench/capture receiver (contract: bench/README.md), written the way the README
// and docs/packet.md show a user writing it. FILTER_FILE holds `tcpdump -dd` output, parsed with
// bpf.parseTcpdump and attached at create(); every PacketSocket style sets ignoreOutgoing, so on lo
// it takes each datagram once, as tcpdump counts it.
//
// STYLE:
//   for-await   `for await (const packet of socket)` (the README's first example), default ring
//   events      socket.on('packet', (packet) => ...), default ring
//   batches     `for await (const batch of socket.batches())`, default ring (fresh memory per batch)
//   reuse       socket.on('batch', ...) with ring: { reuseBatchMemory: true }
//   recvmmsg    `for await (const packet of socket)` with ring: false (the recvmmsg fallback)
//   sniffer     `for await (const datagram of UdpSniffer.create({ port: PORT, interface: IFACE }))`
// WORK:
//   touch       read the last byte of each packet (what the C and Python peers do)
//   decode      decode() each frame (rawsock/decode) and read the UDP payload: its 32-bit sequence
//               number and last byte (the sniffer decodes already: it reads the same payload bytes)
//
// Prints READY once receiving; on SIGINT/SIGTERM prints received=N kernel_drops=D, and with decode
// udp=N (frames that decoded as UDP: must equal received), then exits.
import { readFileSync } from 'node:fs';
import { bpf, type Packet, type PacketBatch, PacketSocket, UdpSniffer } from '../../lib/index.js';

const [style = 'for-await', work = 'touch', iface = 'lo', filterFile, portArg = '9999'] = process.argv.slice(2);
const STYLES = ['for-await', 'events', 'batches', 'reuse', 'recvmmsg', 'sniffer'];
if (!STYLES.includes(style) || (work !== 'touch' && work !== 'decode')) {
  console.error(`usage: rx-rawsock.ts ${STYLES.join('|')} touch|decode IFACE FILTER_FILE PORT`);
  process.exit(2);
}
const decode = work === 'decode';
let received = 0;
let udp = 0;
let acc = 0;

/** The work on one decoded frame: the UDP payload's sequence number and last byte. */
function onDecoded(decoded: ReturnType<Packet['decode']>): void {
  if (decoded.transport?.layer !== 'udp') return;
  udp++;
  acc += decoded.payload.readUInt32LE(0) + (decoded.payload[decoded.payload.length - 1] as number);
}

function onPacket(packet: Packet): void {
  received++;
  if (decode) onDecoded(packet.decode());
  else {
    const data = packet.data;
    acc += data[data.length - 1] as number;
  }
}

/** A batch read through its accessors, no object per packet (docs/packet.md). */
function onBatch(batch: PacketBatch): void {
  received += batch.length;
  if (decode) {
    for (let i = 0; i < batch.length; i++) onDecoded(batch.decode(i));
  } else {
    const buffer = batch.buffer;
    for (let i = 0; i < batch.length; i++) acc += buffer[batch.offset(i) + batch.capturedLength(i) - 1] as number;
  }
}

let stats: () => { dropped: number };
let close: () => void;

if (style === 'sniffer') {
  const sniffer = UdpSniffer.create({ port: Number(portArg), interface: iface });
  stats = () => sniffer.stats();
  close = () => sniffer.close();
  (async () => {
    for await (const datagram of sniffer) {
      received++;
      const payload = datagram.payload;
      if (decode) {
        udp++;
        acc += payload.readUInt32LE(0) + (payload[payload.length - 1] as number);
      } else acc += payload[payload.length - 1] as number;
    }
  })();
} else {
  const filter = filterFile ? bpf.parseTcpdump(readFileSync(filterFile, 'utf8')) : undefined;
  const socket = PacketSocket.create({
    interface: iface,
    ...(filter ? { filter } : {}),
    ...(style === 'reuse' ? { ring: { reuseBatchMemory: true } } : style === 'recvmmsg' ? { ring: false } : {}),
    ignoreOutgoing: true,
  });
  stats = () => socket.stats();
  close = () => socket.close();
  if (style === 'events') {
    socket.on('packet', onPacket);
  } else if (style === 'reuse') {
    socket.on('batch', onBatch);
  } else if (style === 'batches') {
    (async () => {
      for await (const batch of socket.batches()) onBatch(batch);
    })();
  } else {
    (async () => {
      for await (const packet of socket) onPacket(packet);
    })();
  }
  console.error(`receive mode ${socket.receiveMode}`);
}

console.log(`READY style=${style} work=${work}`);
function done(): void {
  console.log(`received=${received} kernel_drops=${stats().dropped} acc=${acc}${decode ? ` udp=${udp}` : ''}`);
  close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
