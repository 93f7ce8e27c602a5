// A chain of network namespaces for ICMP tests: this process's namespace (the client) — router 1
// — … — router N — target, joined by veth pairs, with IPv4 and IPv6 addresses, routes, forwarding
// on in the routers, ICMP rate limits off (net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit and
// the global icmp_msgs_per_sec / icmp_msgs_burst: else a router answers only the first few probes
// of a run) and, on the last router, an nftables
// forward rule that rejects two prefixes behind it: one with "administratively prohibited"
// (IPv4 code 13, ICMPv6 code 1: traceroute's !X) and one with "host unreachable" (IPv4 code 1,
// ICMPv6 "address unreachable" code 3: !H). nft's reject is limited by those sysctls only, unlike
// a route of type prohibit/unreachable, whose ICMP errors the kernel rate-limits on its own
// (net/ipv4/route.c ip_error: about one a second) with no per-namespace knob.
//
// Each router and the target is a process in its own network namespace (`unshare --net sleep`),
// entered with nsenter for setup. Addresses are unique per process and chain, so test files can
// run in parallel in the one namespace the suite shares: 10.A.B.0/24 and fd72:A:B::/48, where A
// and B come from the pid and a per-process counter.
import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { formatIPv6, parseIPv6 } from '../../lib/decode/address.js';
import { type RunResult, run } from './netns.js';
import { waitUntil } from './wait.js';

/** The IPv4 and IPv6 address of one node, as the client sees it. */
export interface NodeAddresses {
  ipv4: string;
  ipv6: string;
}

let chains = 0;

/** IPv6 text as the kernel's tools print it (RFC 5952), e.g. fd72:1:2::2 for fd72:1:2:0::2. */
const canonical = (address: string) => formatIPv6(parseIPv6(address));

async function checked(command: string, args: string[]): Promise<RunResult> {
  const result = await run(command, args, { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result;
}

export class RouterChain {
  /** The client's (this process's) addresses on the first link. */
  readonly client: NodeAddresses;
  /** Each router's addresses on its link towards the client: what traceroute shows as the hop. */
  readonly routers: NodeAddresses[];
  /** The target's addresses. */
  readonly target: NodeAddresses;
  /** An address behind the last router that it rejects with "administratively prohibited". */
  readonly prohibited: NodeAddresses;
  /** An address behind the last router that it rejects with "host / address unreachable". */
  readonly unreachable: NodeAddresses;
  readonly #processes: ChildProcess[];
  readonly #clientLink: string;

  private constructor(routerCount: number, processes: ChildProcess[], clientLink: string, v4: string, v6: string) {
    this.#processes = processes;
    this.#clientLink = clientLink;
    const at = (link: number, host: number): NodeAddresses => ({
      ipv4: `${v4}.${link * 8 + host}`,
      ipv6: canonical(`${v6}:${link}::${host}`),
    });
    this.client = at(0, 1);
    this.routers = Array.from({ length: routerCount }, (_, k) => at(k, 2));
    this.target = at(routerCount, 2);
    this.prohibited = { ipv4: `${v4}.241`, ipv6: canonical(`${v6}:f0::1`) };
    this.unreachable = { ipv4: `${v4}.249`, ipv6: canonical(`${v6}:f8::1`) };
  }

  /** Builds a chain with `routers` routers (default 2) and checks that the target answers. */
  static async create(routers = 2): Promise<RouterChain> {
    const index = chains++;
    const a = 200 + (process.pid % 50);
    const b = (Math.floor(process.pid / 50) * 4 + index) % 256;
    const v4 = `10.${a}.${b}`;
    const v6 = `fd72:${a}:${b}`;
    const clientLink = `rc${process.pid % 100000}${index}`;
    // routers + 1 namespaces: the routers, then the target.
    const processes = Array.from({ length: routers + 1 }, () =>
      spawn('unshare', ['--net', '--', 'sleep', '100000'], { stdio: 'ignore' }),
    );
    const chain = new RouterChain(routers, processes, clientLink, v4, v6);
    try {
      await chain.#setUp(routers, v4, v6);
    } catch (error) {
      await chain.close();
      throw error;
    }
    return chain;
  }

  /** Runs a command inside node `node` (0-based router index, or 'target'). */
  exec(node: number | 'target', command: string, args: string[]): Promise<RunResult> {
    const pid = this.#pid(node === 'target' ? this.routers.length : node);
    return run('nsenter', [`--net=/proc/${pid}/ns/net`, '--', command, ...args], { timeoutMs: 30_000 });
  }

  /** Starts a long-running command inside node `node` (killed by close() with the namespaces). */
  spawn(node: number | 'target', command: string, args: string[]): ChildProcess {
    const pid = this.#pid(node === 'target' ? this.routers.length : node);
    const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#processes.push(child);
    return child;
  }

  /** The pid whose network namespace node `index` is (routers first, then the target). */
  #pid(index: number): number {
    return this.#processes[index]?.pid as number;
  }

  async #setUp(routers: number, v4: string, v6: string): Promise<void> {
    const own = readlinkSync('/proc/self/ns/net');
    const ready = await waitUntil(() => {
      return this.#processes.every((p) => {
        try {
          return p.pid !== undefined && readlinkSync(`/proc/${p.pid}/ns/net`) !== own;
        } catch {
          return false;
        }
      });
    }, 20_000);
    if (!ready) throw new Error('router-chain: the namespace processes did not start');
    const nodes = routers + 1;
    // Link k joins node k-1 (the client for k = 0) and node k: host 1 on the client side, 2 beyond.
    await checked('ip', [
      'link',
      'add',
      this.#clientLink,
      'type',
      'veth',
      'peer',
      'name',
      'up0',
      'netns',
      String(this.#pid(0)),
    ]);
    for (let k = 1; k < nodes; k++) {
      await checked('nsenter', [
        `--net=/proc/${this.#pid(k - 1)}/ns/net`,
        '--',
        'ip',
        'link',
        'add',
        'down0',
        'type',
        'veth',
        'peer',
        'name',
        'up0',
        'netns',
        String(this.#pid(k)),
      ]);
    }
    const addr = (link: number, host: number) => [`${v4}.${link * 8 + host}/29`, `${v6}:${link}::${host}/64`];
    const script = (lines: string[]) => ['sh', '-ec', lines.join('\n')];
    const via = (link: number, host: number) => ({ ipv4: `${v4}.${link * 8 + host}`, ipv6: `${v6}:${link}::${host}` });
    // The client: address on link 0, the whole /24 and /48 via router 1.
    const [c4, c6] = addr(0, 1);
    await checked('sh', [
      '-ec',
      [
        `ip addr add ${c4} dev ${this.#clientLink}`,
        `ip -6 addr add ${c6} dev ${this.#clientLink} nodad`,
        `ip link set ${this.#clientLink} up`,
        `ip route add ${v4}.0/24 via ${via(0, 2).ipv4}`,
        `ip -6 route add ${v6}::/48 via ${via(0, 2).ipv6}`,
      ].join('\n'),
    ]);
    for (let k = 0; k < nodes; k++) {
      const isTarget = k === routers;
      const [up4, up6] = addr(k, 2);
      const lines = [
        'ip link set lo up',
        `ip addr add ${up4} dev up0`,
        `ip -6 addr add ${up6} dev up0 nodad`,
        'ip link set up0 up',
        'echo 0 > /proc/sys/net/ipv4/icmp_ratelimit',
        'echo 0 > /proc/sys/net/ipv6/icmp/ratelimit',
        // The namespace-wide budget every ICMP and ICMPv6 error also draws from (icmp_global_allow:
        // a burst of 50, then 1000 a second): two traceroutes run side by side send ~90 probes at
        // once, whose errors a loaded machine's router would otherwise drop as "* * *".
        'echo 1000000 > /proc/sys/net/ipv4/icmp_msgs_per_sec',
        'echo 1000000 > /proc/sys/net/ipv4/icmp_msgs_burst',
      ];
      if (isTarget) {
        lines.push(`ip route add default via ${via(k, 1).ipv4}`, `ip -6 route add default via ${via(k, 1).ipv6}`);
        // The rejected prefixes are routed to the target, so the last router forwards (and rejects) them.
        lines.push(`ip addr add ${v4}.241/29 dev lo`, `ip addr add ${v4}.249/29 dev lo`);
      } else {
        const [down4, down6] = addr(k + 1, 1);
        lines.push(
          `ip addr add ${down4} dev down0`,
          `ip -6 addr add ${down6} dev down0 nodad`,
          'ip link set down0 up',
          'echo 1 > /proc/sys/net/ipv4/ip_forward',
          'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding',
          // Everything not on a connected link goes on down the chain, except the links behind us.
          `ip route add ${v4}.0/24 via ${via(k + 1, 2).ipv4}`,
          `ip -6 route add ${v6}::/48 via ${via(k + 1, 2).ipv6}`,
        );
        for (let j = 0; j < k; j++) {
          lines.push(`ip route add ${v4}.${j * 8}/29 via ${via(k, 1).ipv4}`);
          lines.push(`ip -6 route add ${v6}:${j}::/64 via ${via(k, 1).ipv6}`);
        }
        if (k === routers - 1) {
          lines.push(
            'nft add table inet rawsock',
            "nft add chain inet rawsock forward '{ type filter hook forward priority 0; }'",
            `nft add rule inet rawsock forward ip daddr ${v4}.240/29 reject with icmp type admin-prohibited`,
            `nft add rule inet rawsock forward ip daddr ${v4}.248/29 reject with icmp type host-unreachable`,
            `nft add rule inet rawsock forward ip6 daddr ${v6}:f0::/64 reject with icmpv6 type admin-prohibited`,
            `nft add rule inet rawsock forward ip6 daddr ${v6}:f8::/64 reject with icmpv6 type addr-unreachable`,
            `ip route add ${v4}.240/28 via ${via(k + 1, 2).ipv4}`,
            `ip -6 route add ${v6}:f0::/60 via ${via(k + 1, 2).ipv6}`,
          );
        }
      }
      await checked('nsenter', [`--net=/proc/${this.#pid(k)}/ns/net`, '--', ...script(lines)]);
    }
    // End to end once per family (this also resolves every neighbour on the way, so no test
    // waits for neighbour discovery): retried, since a link may still be coming up.
    for (const address of [this.target.ipv4, this.target.ipv6]) {
      const ok = await waitUntil(async () => (await run('ping', ['-c', '1', '-W', '1', address])).code === 0, 20_000);
      if (!ok) throw new Error(`router-chain: ${address} never answered a ping`);
    }
  }

  /** Removes the client's link and ends the namespaces. */
  async close(): Promise<void> {
    await run('ip', ['link', 'del', this.#clientLink]);
    for (const p of this.#processes) p.kill('SIGKILL');
  }
}
