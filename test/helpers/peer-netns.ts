// One peer network namespace joined to this process's namespace by a veth pair: our end is
// `local`, the peer's end is always `peer0`. The peer is a process (`unshare --net sleep`) in a
// namespace of its own; commands run there through nsenter. Names and the /24 subnet are unique
// per process and per pair, so test files can run side by side in the namespace the suite shares.
import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { type RunResult, run } from './netns.js';
import { waitUntil } from './wait.js';

let pairs = 0;

/** Runs a command and throws with its output when it fails. */
export async function checked(command: string, args: string[]): Promise<RunResult> {
  const result = await run(command, args, { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result;
}

export interface PeerNetnsOptions {
  /** Give our end this address (`subnet.1/24`; default true). */
  localAddress?: boolean;
  /** Give the peer's end this address (`subnet.2/24`; default true). */
  peerAddress?: boolean;
}

export class PeerNetns {
  /** Our end of the veth pair. */
  readonly local: string;
  /** The peer's end (inside its namespace). */
  readonly peer = 'peer0';
  /** The first three octets of the pair's /24, e.g. '172.21.3'. */
  readonly subnet: string;
  /** `subnet.1` and `subnet.2`. */
  readonly localIp: string;
  readonly peerIp: string;
  localMac = '';
  peerMac = '';
  readonly #sleeper: ChildProcess;
  readonly #children: ChildProcess[] = [];

  private constructor(local: string, subnet: string) {
    this.local = local;
    this.subnet = subnet;
    this.localIp = `${subnet}.1`;
    this.peerIp = `${subnet}.2`;
    this.#sleeper = spawn('unshare', ['--net', '--', 'sleep', '100000'], { stdio: 'ignore' });
  }

  /** Makes the namespace and the pair, both ends up (with addresses unless told otherwise). */
  static async create(options: PeerNetnsOptions = {}): Promise<PeerNetns> {
    const index = pairs++;
    const local = `pn${process.pid % 100000}${index}`;
    // 172.16.0.0/12: no other test helper uses it.
    const subnet = `172.${16 + (process.pid % 16)}.${(Math.floor(process.pid / 16) * 8 + index) % 256}`;
    const pair = new PeerNetns(local, subnet);
    try {
      await pair.#setUp(options);
    } catch (error) {
      await pair.close();
      throw error;
    }
    return pair;
  }

  get pid(): number {
    return this.#sleeper.pid as number;
  }

  async #setUp(options: PeerNetnsOptions): Promise<void> {
    const own = readlinkSync('/proc/self/ns/net');
    const ready = await waitUntil(() => {
      try {
        return this.#sleeper.pid !== undefined && readlinkSync(`/proc/${this.#sleeper.pid}/ns/net`) !== own;
      } catch {
        return false;
      }
    }, 20_000);
    if (!ready) throw new Error('peer-netns: the namespace process did not start');
    await checked('ip', [
      'link',
      'add',
      this.local,
      'type',
      'veth',
      'peer',
      'name',
      this.peer,
      'netns',
      String(this.pid),
    ]);
    const lines = ['ip link set lo up', `ip link set ${this.peer} up`];
    if (options.peerAddress !== false) lines.unshift(`ip addr add ${this.peerIp}/24 dev ${this.peer}`);
    await this.exec('sh', ['-ec', lines.join('\n')]);
    if (options.localAddress !== false) await checked('ip', ['addr', 'add', `${this.localIp}/24`, 'dev', this.local]);
    await checked('ip', ['link', 'set', this.local, 'up']);
    this.localMac = await macOf(run('ip', ['-j', 'link', 'show', this.local]));
    this.peerMac = await macOf(this.exec('ip', ['-j', 'link', 'show', this.peer]));
  }

  /** Runs a command inside the peer namespace. */
  exec(command: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
    return run('nsenter', [`--net=/proc/${this.pid}/ns/net`, '--', command, ...args], { timeoutMs });
  }

  /** Starts a long-running command inside the peer namespace (ended by close()). */
  spawn(command: string, args: string[]): ChildProcess {
    const child = spawn('nsenter', [`--net=/proc/${this.pid}/ns/net`, '--', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.push(child);
    return child;
  }

  /** Ends the peer's processes and namespace; the veth pair goes with it. */
  async close(): Promise<void> {
    const ends = [...this.#children, this.#sleeper].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    );
    await Promise.all(ends);
    await run('ip', ['link', 'del', this.local]);
  }
}

async function macOf(result: Promise<RunResult>): Promise<string> {
  const { stdout } = await result;
  return (JSON.parse(stdout) as { address: string }[])[0]?.address ?? '';
}
