// `rawsock dhcp`: get a DHCP lease on an interface and print it (udhcpc's summary first); with
// --apply also set it over rtnetlink.
//   rawsock dhcp -i IFACE [--apply] [-H HOSTNAME] [-B] [-t ATTEMPTS] [-T SECONDS]
import { parseArgs } from 'node:util';
import { applyLease, formatLease, requestLease } from '../dhcp/index.js';
import { UsageError } from './ss.js';

export const DHCP_USAGE = `Usage: rawsock dhcp -i IFACE [--apply] [-H HOSTNAME] [-B] [-t ATTEMPTS] [-T SECONDS]
  -i IFACE     the interface (up; it needs no address)
  --apply      set the address, its lifetime and the default route
  -H HOSTNAME  host name to send (option 12)
  -B           ask servers to broadcast their replies
  -t ATTEMPTS  DHCPDISCOVERs (and DHCPREQUESTs) before giving up (default 4)
  -T SECONDS   wait after the first, doubling each time (default 4)
`;

/** Runs `rawsock dhcp ARGS`: resolves with the lines to print; rejects with the client's error. */
export async function dhcp(args: string[], signal?: AbortSignal): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      interface: { type: 'string', short: 'i' },
      apply: { type: 'boolean', default: false },
      hostname: { type: 'string', short: 'H' },
      broadcast: { type: 'boolean', short: 'B', default: false },
      attempts: { type: 'string', short: 't', default: '4' },
      timeout: { type: 'string', short: 'T', default: '4' },
    },
  });
  if (values.interface === undefined || positionals.length > 0) throw new UsageError('give -i IFACE');
  const lease = await requestLease({
    interface: values.interface,
    attempts: Number(values.attempts),
    retransmitMs: Math.round(Number(values.timeout) * 1000),
    broadcastFlag: values.broadcast,
    ...(signal === undefined ? {} : { signal }),
    ...(values.hostname === undefined ? {} : { hostName: values.hostname }),
  });
  const lines = formatLease(lease);
  if (values.apply) {
    await applyLease(lease);
    const via = lease.routers[0] ? `, default via ${lease.routers[0]}` : '';
    lines.push(`applied ${lease.address}/${lease.prefixLength} to ${lease.interfaceName}${via}`);
  }
  return `${lines.join('\n')}\n`;
}
