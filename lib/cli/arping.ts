// `rawsock arping`: iputils arping's common modes over lib/arp, printing what arping prints.
//   rawsock arping [-c COUNT] [-w SECONDS] [-D | -U] -I IFACE ADDRESS
import { parseArgs } from 'node:util';
import { ArpTimeoutError, announceAddress, probeAddress, resolveMac } from '../arp/index.js';
import { sourceAddressFor } from '../arp/resolve.js';
import { resolveInterface } from '../packet/options.js';
import { UsageError } from './ss.js';

export const ARPING_USAGE = `Usage: rawsock arping [-c COUNT] [-w SECONDS] [-D | -U] -I IFACE ADDRESS
  -c COUNT    requests to send (default: until -w, or 3)
  -w SECONDS  stop after this long
  -D          duplicate address detection (RFC 5227 probe): exit 1 when the address is in use
  -U          unsolicited ARP (announce the address as ours)
  -I IFACE    the interface
`;

const upper = (mac: string) => mac.toUpperCase();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `rawsock arping ARGS`: resolves with its output and exit status (arping's: 0 answered / free, 1 not). */
export async function arping(args: string[]): Promise<{ stdout: string; code: number }> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      count: { type: 'string', short: 'c' },
      deadline: { type: 'string', short: 'w' },
      duplicate: { type: 'boolean', short: 'D', default: false },
      unsolicited: { type: 'boolean', short: 'U', default: false },
      interface: { type: 'string', short: 'I' },
    },
  });
  if (positionals.length !== 1 || values.interface === undefined) throw new UsageError('give -I IFACE and one ADDRESS');
  if (values.duplicate && values.unsolicited) throw new UsageError('-D and -U exclude each other');
  const address = positionals[0] as string;
  const deadline = values.deadline === undefined ? Infinity : Number(values.deadline);
  const count =
    values.count === undefined
      ? Number.isFinite(deadline)
        ? Math.max(1, Math.floor(deadline))
        : 3
      : Number(values.count);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`bad count '${values.count}'`);
  const { index, name } = resolveInterface(values.interface);
  const lines: string[] = [];
  if (values.unsolicited) {
    lines.push(`ARPING ${address} from ${address} ${name}`);
    const sent = await announceAddress(address, { interface: index, count, intervalMs: 1000 });
    lines.push(`Sent ${sent} probes (${sent} broadcast(s))`, 'Received 0 response(s)');
    return { stdout: `${lines.join('\n')}\n`, code: 0 };
  }
  if (values.duplicate) {
    lines.push(`ARPING ${address} from 0.0.0.0 ${name}`);
    const started = performance.now();
    const result = await probeAddress(address, {
      interface: index,
      probes: count,
      initialDelayMs: 0,
      minIntervalMs: 1000,
      maxIntervalMs: 1000,
      waitMs: 1000,
    });
    if (result.conflict) {
      const ms = (performance.now() - started).toFixed(3);
      lines.push(`Unicast reply from ${address} [${upper(result.conflictingMac as string)}]  ${ms}ms`);
    }
    lines.push(`Sent ${result.probesSent} probes (${result.probesSent} broadcast(s))`);
    lines.push(`Received ${result.conflict ? 1 : 0} response(s)`);
    return { stdout: `${lines.join('\n')}\n`, code: result.conflict ? 1 : 0 };
  }
  lines.push(`ARPING ${address} from ${await sourceAddressFor(index, address)} ${name}`);
  let received = 0;
  const end = performance.now() + deadline * 1000;
  for (let i = 0; i < count && performance.now() < end; i++) {
    const sent = performance.now();
    try {
      const reply = await resolveMac(address, { interface: index, attempts: 1, intervalMs: 1000 });
      received++;
      lines.push(`Unicast reply from ${address} [${upper(reply.mac)}]  ${reply.rttMs.toFixed(3)}ms`);
    } catch (error) {
      if (!(error instanceof ArpTimeoutError)) throw error;
    }
    // One request a second, as arping.
    if (i < count - 1) await sleep(Math.max(0, 1000 - (performance.now() - sent)));
  }
  lines.push(`Sent ${count} probes (1 broadcast(s))`, `Received ${received} response(s)`);
  return { stdout: `${lines.join('\n')}\n`, code: received > 0 ? 0 : 1 };
}
