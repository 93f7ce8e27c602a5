// A DHCP client in the manner of busybox's udhcpc: gets a lease on an interface that has no
// address yet (through a packet socket) and prints it; with --apply it also configures the
// address and default route over rtnetlink. Needs CAP_NET_RAW (and CAP_NET_ADMIN for --apply).
//
//   npm run example:dhcp-client -- --interface eth0
//   npm run example:dhcp-client -- --interface eth0 --apply --hostname box --broadcast
import { parseArgs } from 'node:util';
import { applyLease, formatLease, requestLease } from '../lib/dhcp/index.js';

const { values } = parseArgs({
  options: {
    interface: { type: 'string', short: 'i' },
    apply: { type: 'boolean', default: false },
    hostname: { type: 'string', short: 'H' },
    broadcast: { type: 'boolean', short: 'B', default: false },
    attempts: { type: 'string', short: 't', default: '4' },
    timeout: { type: 'string', short: 'T', default: '4' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || values.interface === undefined) {
  console.error(
    'usage: dhcp-client --interface IF [--apply] [--hostname NAME] [--broadcast] [-t ATTEMPTS] [-T SECONDS]',
  );
  process.exit(values.help ? 0 : 2);
}
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
try {
  const lease = await requestLease({
    interface: values.interface,
    attempts: Number(values.attempts),
    retransmitMs: Math.round(Number(values.timeout) * 1000),
    broadcastFlag: values.broadcast,
    signal: controller.signal,
    ...(values.hostname === undefined ? {} : { hostName: values.hostname }),
  });
  for (const line of formatLease(lease)) console.log(line);
  if (values.apply) {
    await applyLease(lease);
    console.log(
      `applied: ${lease.address}/${lease.prefixLength} on ${lease.interfaceName}${lease.routers[0] ? `, default via ${lease.routers[0]}` : ''}`,
    );
  }
} catch (error) {
  console.error(`dhcp-client: ${(error as Error).message}`);
  process.exitCode = 1;
}
