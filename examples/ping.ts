// ping, as iputils prints it: a line per reply ("64 bytes from …: icmp_seq=1 ttl=64 time=0.045
// ms"), per ICMP error ("From 192.0.2.254 icmp_seq=2 Time to live exceeded") and per duplicate
// ("(DUP!)"), then the statistics. Ctrl-C ends it early with the statistics, as ping does.
// Without privileges it uses a ping socket (needs net.ipv4.ping_group_range to include your
// group; the error says so), with CAP_NET_RAW a raw one when ping sockets are refused.
//
//   npm run example:ping -- 127.0.0.1
//   npm run example:ping -- -c 3 -i 0.2 -s 100 -t 2 -W 1 example.com
//   npm run example:ping -- -6 ::1
import { parseArgs } from 'node:util';
import { formatPingEvent, formatPingSummary, ping } from '../lib/icmp/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    count: { type: 'string', short: 'c' },
    interval: { type: 'string', short: 'i', default: '1' },
    size: { type: 'string', short: 's', default: '56' },
    ttl: { type: 'string', short: 't' },
    timeout: { type: 'string', short: 'W', default: '10' },
    ipv4: { type: 'boolean', short: '4', default: false },
    ipv6: { type: 'boolean', short: '6', default: false },
    raw: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || positionals.length !== 1) {
  console.error('usage: ping [-c COUNT] [-i SECONDS] [-s SIZE] [-t TTL] [-W SECONDS] [-4|-6] [--raw] HOST');
  process.exit(values.help ? 0 : 2);
}
const host = positionals[0] as string;
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const size = Number(values.size);
try {
  const result = await ping(host, {
    count: values.count === undefined ? Infinity : Number(values.count),
    interval: Number(values.interval) * 1000,
    timeout: Number(values.timeout) * 1000,
    size,
    ...(values.ttl === undefined ? {} : { ttl: Number(values.ttl) }),
    ...(values.ipv4 ? { family: 4 as const } : values.ipv6 ? { family: 6 as const } : {}),
    ...(values.raw ? { type: 'raw' as const } : {}),
    signal: controller.signal,
    onEvent: (event) => {
      const line = formatPingEvent(event);
      if (line) console.log(line);
    },
  });
  console.log(`\n${formatPingSummary(host, result.summary)}`);
  process.exitCode = result.summary.received > 0 ? 0 : 1;
} catch (error) {
  console.error(`ping: ${(error as Error).message}`);
  process.exitCode = 2;
}
