// Two programs, one UDP port: a listener binds it, a sniffer sees the same datagrams through a
// packet socket with a kernel filter for the port (what busybox's udhcpc does).
//
//   npm run example:udp-sniffer -- --port 5353 --interface eth0 [--pcap out.pcap] [--hold-port]
//   npm run demo            self-contained on loopback: its own listener, sender and sniffer
//
// Packet sockets need CAP_NET_RAW. Without it the demo re-runs itself in a new user + network
// namespace (`unshare --user --map-root-user --net`), where any user has it over a private `lo`.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { PcapWriter, type SniffedDatagram, UdpSniffer } from '../lib/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p', default: '5353' },
    interface: { type: 'string', short: 'i' },
    pcap: { type: 'string', short: 'w' },
    'hold-port': { type: 'boolean', default: false },
    count: { type: 'string', short: 'c', default: '5' },
    demo: { type: 'boolean', default: false },
  },
});

function show(datagram: SniffedDatagram): string {
  const { source, destination, payload } = datagram;
  return `${source.address}:${source.port} -> ${destination.address}:${destination.port} on ${datagram.interface}: ${JSON.stringify(payload.toString())}`;
}

function openSniffer(port: number): UdpSniffer {
  try {
    return UdpSniffer.create({
      port,
      ...(values.interface ? { interface: values.interface } : {}),
      holdPort: values['hold-port'] as boolean,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM' && values.demo && !process.env.RAWSOCK_DEMO_NETNS) {
      console.log('no CAP_NET_RAW here: re-running the demo in a new user + network namespace');
      const script = 'ip link set lo up && exec "$@"';
      const args = [
        '--user',
        '--map-root-user',
        '--net',
        '--',
        'sh',
        '-c',
        script,
        'demo',
        process.execPath,
        ...process.execArgv,
        ...process.argv.slice(1),
      ];
      const result = spawnSync('unshare', args, { stdio: 'inherit', env: { ...process.env, RAWSOCK_DEMO_NETNS: '1' } });
      process.exit(result.status ?? 1);
    }
    throw error;
  }
}

async function startPcap(sniffer: UdpSniffer): Promise<PcapWriter | null> {
  if (!values.pcap) return null;
  const writer = await PcapWriter.open(values.pcap, sniffer.packetSocket.pcapOptions());
  sniffer.packetSocket.on('batch', (batch) => {
    for (let i = 0; i < batch.length; i++) writer.write(batch.pcapPacket(i));
  });
  return writer;
}

async function demo(): Promise<void> {
  const count = Number(values.count);
  // The listener: an ordinary program that owns the port.
  const listener = dgram.createSocket('udp4');
  const heard: string[] = [];
  listener.on('message', (message) => heard.push(message.toString()));
  listener.bind(Number(values.port), '127.0.0.1');
  await once(listener, 'listening');
  const port = listener.address().port;

  // The sniffer: a second program's view of the same port.
  const sniffer = openSniffer(port);
  const writer = await startPcap(sniffer);
  const sniffed: SniffedDatagram[] = [];
  sniffer.on('datagram', (datagram: SniffedDatagram) => sniffed.push(datagram));

  const sender = dgram.createSocket('udp4');
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => sender.send(`hello ${i}`, port, '127.0.0.1', () => resolve()));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  sender.close();

  console.log(`listener on 127.0.0.1:${port} received ${heard.length} datagrams: ${heard.join(', ')}`);
  console.log(`sniffer saw ${sniffed.length} datagrams (each once, though loopback shows packets twice):`);
  for (const datagram of sniffed) console.log(`  ${show(datagram)}`);
  const stats = sniffer.stats();
  console.log(`kernel: ${stats.received} passed the filter, ${stats.dropped} dropped`);
  sniffer.close();
  listener.close();
  if (writer) {
    await writer.close();
    console.log(`wrote ${writer.packetsWritten} packets to ${values.pcap} (try: tcpdump -r ${values.pcap})`);
  }
}

async function sniff(): Promise<void> {
  const sniffer = openSniffer(Number(values.port));
  const writer = await startPcap(sniffer);
  console.log(
    `sniffing UDP port ${values.port} on ${values.interface ?? 'all interfaces'}${sniffer.holdingPort ? ' (holding the port)' : ''}; Ctrl-C to stop`,
  );
  process.on('SIGINT', () => sniffer.close());
  for await (const datagram of sniffer) console.log(show(datagram));
  await writer?.close();
}

await (values.demo ? demo() : sniff());
