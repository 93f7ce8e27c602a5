#!/usr/bin/env node
// The rawsock command line. `rawsock ss ...` lists packet, TCP and UDP sockets like iproute2's ss;
// `rawsock arping` and `rawsock dhcp` are thin over lib/arp and lib/dhcp.
import { ARPING_USAGE, arping } from './arping.js';
import { DHCP_USAGE, dhcp } from './dhcp.js';
import { SS_USAGE, ss, UsageError } from './ss.js';

const USAGE = `Usage: rawsock COMMAND [OPTIONS]
Commands:
  ss      list packet, TCP and UDP sockets and the processes holding them (like iproute2's ss)
  arping  ask who has an IPv4 address, probe for conflicts (-D) or announce one (-U), like iputils arping
  dhcp    get a DHCP lease on an interface, print it and optionally apply it
Run 'rawsock ss --help' for its options.
`;

/** ss's width rule: the terminal's, else $COLUMNS, else none (compact output). */
function screenWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  const columns = Number.parseInt(process.env.COLUMNS ?? '', 10);
  return columns > 0 ? columns : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'arping' || command === 'dhcp') return linkLayer(command, args);
  if (command !== 'ss') {
    process.stderr.write(`rawsock: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  try {
    const { stdout, stderr } = await ss(args, process.env, screenWidth());
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`rawsock ss: ${(error as Error).message}\n${SS_USAGE}`);
      return 2;
    }
    process.stderr.write(`rawsock ss: ${(error as Error).message}\n`);
    return 1;
  }
}

/** `rawsock arping` / `rawsock dhcp`: usage errors exit 2, failures 1 (as arping and udhcpc do). */
async function linkLayer(command: 'arping' | 'dhcp', args: string[]): Promise<number> {
  const usage = command === 'arping' ? ARPING_USAGE : DHCP_USAGE;
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    if (command === 'arping') {
      const { stdout, code } = await arping(args);
      process.stdout.write(stdout);
      return code;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.stdout.write(await dhcp(args, controller.signal));
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`rawsock ${command}: ${(error as Error).message}\n${usage}`);
      return 2;
    }
    process.stderr.write(`rawsock ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
