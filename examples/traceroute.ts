// traceroute, as Debian's traceroute prints it with -n: a line per hop with each probe's time and
// marks (!H, !N, !X, …), "*" for a probe nobody answered. UDP probes by default (no privileges:
// the ICMP errors come from the socket error queue), ICMP echo probes with -I.
//
//   npm run example:traceroute -- 192.0.2.1
//   npm run example:traceroute -- -I -q 1 -m 20 -w 2 example.com
import { parseArgs } from 'node:util';
import { formatTracerouteHop, traceroute } from '../lib/traceroute/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    icmp: { type: 'boolean', short: 'I', default: false },
    queries: { type: 'string', short: 'q', default: '3' },
    'max-hops': { type: 'string', short: 'm', default: '30' },
    'first-hop': { type: 'string', short: 'f', default: '1' },
    wait: { type: 'string', short: 'w', default: '5' },
    port: { type: 'string', short: 'p', default: '33434' },
    ipv4: { type: 'boolean', short: '4', default: false },
    ipv6: { type: 'boolean', short: '6', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || positionals.length !== 1) {
  console.error('usage: traceroute [-I] [-q QUERIES] [-m MAX_HOPS] [-f FIRST_HOP] [-w SECONDS] [-p PORT] [-4|-6] HOST');
  process.exit(values.help ? 0 : 2);
}
const host = positionals[0] as string;
const maxHops = Number(values['max-hops']);
try {
  const result = await traceroute(host, {
    probe: values.icmp ? 'icmp' : 'udp',
    queries: Number(values.queries),
    maxHops,
    firstHop: Number(values['first-hop']),
    timeout: Number(values.wait) * 1000,
    port: Number(values.port),
    ...(values.ipv4 ? { family: 4 as const } : values.ipv6 ? { family: 6 as const } : {}),
  });
  const bytes = (result.family === 4 ? 28 : 48) + 32;
  console.log(`traceroute to ${host} (${result.address}), ${maxHops} hops max, ${bytes} byte packets`);
  for (const hop of result.hops) console.log(formatTracerouteHop(hop));
} catch (error) {
  console.error(`traceroute: ${(error as Error).message}`);
  process.exitCode = 2;
}
