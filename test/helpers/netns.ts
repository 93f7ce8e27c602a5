// Helpers for tests that need more isolation than the namespace the whole run is in.
import { type SpawnOptions, spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`) and collects its output. */
export function run(
  command: string,
  args: string[],
  options: SpawnOptions & { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(command, args, { stdio: [stdin, 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (child.stdin) {
      // A child that exits before reading its input must not crash the test with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Runs a command in a further, fresh network namespace (nested in the test run's), `lo` up. */
export function runInFreshNetns(
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return run(
    'unshare',
    ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'fresh-netns', command, ...args],
    options,
  );
}

/** Runs a command without the named capabilities (e.g. ['net_admin'] or ['net_raw']). */
export function runWithoutCaps(
  caps: string[],
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const drop = caps.map((c) => `-${c}`).join(',');
  return run('setpriv', [`--bounding-set=${drop}`, `--inh-caps=${drop}`, '--', command, ...args], options);
}

/** Arguments that make `node` run a TypeScript file through tsx. */
export const tsxNode = ['--import', 'tsx'];

/**
 * Runs a TypeScript (ESM) snippet in a fresh network namespace without CAP_NET_RAW and returns
 * the JSON its last output line holds: how a process without privileges sees rawsock.
 */
export async function lastJsonWithoutNetRaw(script: string): Promise<Record<string, unknown>> {
  const result = await runInFreshNetns('setpriv', [
    '--bounding-set=-net_raw',
    '--inh-caps=-net_raw',
    '--',
    process.execPath,
    ...tsxNode,
    '--input-type=module',
    '-e',
    script,
  ]);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string);
}
