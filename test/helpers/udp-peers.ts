// Peers for the UDP tests: Python programs here or in a second network namespace joined to this
// one by a veth pair, started so that a test knows when they are ready (they print "ready" once
// their socket is bound) and gets their whole output when they end.
import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { type RunResult, run } from './netns.js';
import { waitUntil } from './wait.js';

/** A Python program running as a peer: `ready` once it printed "ready", `output` its stdout when it exits 0. */
export interface PythonPeer {
  ready: Promise<void>;
  output: Promise<string>;
  child: ChildProcess;
}

/** The prelude every peer program gets. */
const PRELUDE = 'import socket, struct, sys, time\n';

function peer(command: string, args: string[], timeoutMs: number): PythonPeer {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
    if (/^ready$/m.test(stdout)) markReady();
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const output = new Promise<string>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const failure = new Error(`python peer exited with ${code ?? signal}: ${stderr}${stdout}`);
      failReady(failure);
      if (code === 0) resolve(stdout.replace(/^ready\n/m, '').trim());
      else reject(failure);
    });
  });
  // Whoever awaits only `output` must not see an unhandled rejection of `ready`.
  ready.catch(() => {});
  return { ready, output, child };
}

/** Starts a Python program (socket, struct, sys, time imported) in this network namespace. */
export function startPython(code: string, timeoutMs = 20_000): PythonPeer {
  return peer('python3', ['-c', PRELUDE + code], timeoutMs);
}

/** Runs a Python program to its end and returns its stdout (it must exit 0). */
export function python(code: string, timeoutMs = 20_000): Promise<string> {
  return startPython(code, timeoutMs).output;
}

async function checked(command: string, args: string[]): Promise<RunResult> {
  const result = await run(command, args, { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result;
}

/**
 * A second network namespace (a `sleep` process made by `unshare --net`) joined to this one by a
 * veth pair: `local` here with two IPv4 and two IPv6 addresses, `remote` there with one of each.
 * IPv6 addresses skip duplicate address detection (nodad) so they work at once.
 */
export class VethPeer {
  readonly local: string;
  readonly remote: string;
  readonly localIPv4: [string, string];
  readonly remoteIPv4: string;
  readonly localIPv6: [string, string];
  readonly remoteIPv6: string;
  readonly #namespace: ChildProcess;

  private constructor(namespace: ChildProcess, tag: string, a: number, b: number) {
    this.#namespace = namespace;
    this.local = `${tag}a`;
    this.remote = `${tag}b`;
    this.localIPv4 = [`10.${a}.${b}.1`, `10.${a}.${b}.11`];
    this.remoteIPv4 = `10.${a}.${b}.2`;
    this.localIPv6 = [`fd7e:${a}:${b}::1`, `fd7e:${a}:${b}::11`];
    this.remoteIPv6 = `fd7e:${a}:${b}::2`;
  }

  /** Builds the namespace and the pair (MTU `mtu` on both ends), addresses up and reachable. */
  static async create(tag: string, mtu = 1500): Promise<VethPeer> {
    const namespace = spawn('unshare', ['--net', '--', 'sleep', '100000'], { stdio: 'ignore' });
    const a = 180 + (process.pid % 20);
    const b = Math.floor(process.pid / 20) % 250;
    const veth = new VethPeer(namespace, tag, a, b);
    // unshare execs sleep: its pid is in the new namespace once that differs from ours.
    const own = readlinkSync('/proc/self/ns/net');
    const moved = await waitUntil(() => {
      try {
        return namespace.pid !== undefined && readlinkSync(`/proc/${namespace.pid}/ns/net`) !== own;
      } catch {
        return false;
      }
    });
    if (!moved) throw new Error('udp-peers: the peer namespace did not start');
    await checked('ip', ['link', 'add', veth.local, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', veth.remote]);
    await checked('ip', ['link', 'set', veth.remote, 'mtu', String(mtu), 'netns', String(namespace.pid)]);
    for (const address of veth.localIPv4) await checked('ip', ['addr', 'add', `${address}/24`, 'dev', veth.local]);
    for (const address of veth.localIPv6) {
      await checked('ip', ['addr', 'add', `${address}/64`, 'dev', veth.local, 'nodad']);
    }
    await checked('ip', ['link', 'set', veth.local, 'up']);
    await veth.exec('ip', ['addr', 'add', `${veth.remoteIPv4}/24`, 'dev', veth.remote]);
    await veth.exec('ip', ['addr', 'add', `${veth.remoteIPv6}/64`, 'dev', veth.remote, 'nodad']);
    await veth.exec('ip', ['link', 'set', veth.remote, 'up']);
    await veth.exec('ip', ['link', 'set', 'lo', 'up']);
    return veth;
  }

  /** Runs a command in the peer namespace (it must succeed). */
  exec(command: string, args: string[]): Promise<RunResult> {
    return checked('nsenter', [`--net=/proc/${this.#namespace.pid}/ns/net`, '--', command, ...args]);
  }

  /** Starts a Python program in the peer namespace. */
  startPython(code: string, timeoutMs = 20_000): PythonPeer {
    return peer(
      'nsenter',
      [`--net=/proc/${this.#namespace.pid}/ns/net`, '--', 'python3', '-c', PRELUDE + code],
      timeoutMs,
    );
  }

  /** Runs a Python program in the peer namespace to its end; returns its stdout. */
  python(code: string, timeoutMs = 20_000): Promise<string> {
    return this.startPython(code, timeoutMs).output;
  }

  /** Deletes the pair and ends the namespace. */
  async destroy(): Promise<void> {
    await run('ip', ['link', 'del', this.local]);
    this.#namespace.kill();
  }
}
