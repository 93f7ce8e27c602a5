#!/usr/bin/env node
// The rawsock command line. `rawsock ss ...` lists packet, TCP and UDP sockets like iproute2's ss.
import { SS_USAGE, ss, UsageError } from './ss.js';

const USAGE = `Usage: rawsock COMMAND [OPTIONS]
Commands:
  ss    list packet, TCP and UDP sockets and the processes holding them (like iproute2's ss)
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

process.exitCode = await main(process.argv.slice(2));
