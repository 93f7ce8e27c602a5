// Who may open which ICMP socket. icmp(7): a ping socket (SOCK_DGRAM + IPPROTO_ICMP or
// IPPROTO_ICMPV6) is allowed when the process's group is within net.ipv4.ping_group_range (one
// sysctl for both families, per network namespace; net/ipv4/ping.c ping_init_sock answers
// EACCES otherwise); a raw ICMP socket (SOCK_RAW) needs CAP_NET_RAW in the socket's network
// namespace (raw(7): EPERM otherwise).
import { readFileSync } from 'node:fs';
import { explain, hasCode } from '../errors.js';

/** The range as the kernel shows it in this network namespace, e.g. '1 0' (nobody) or '0 2147483647'. */
function pingGroupRange(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().replace(/\s+/, ' ');
  } catch {
    return 'unreadable';
  }
}

const RAW_HINT =
  'raw ICMP sockets need CAP_NET_RAW: run as root, grant the capability to node ' +
  '(sudo setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"), ' +
  'or run inside a user + network namespace (unshare --user --map-root-user --net)';

/** The sysctl that would allow this process's group, as a sentence. */
function pingSysctlHint(): string {
  const gid = typeof process.getegid === 'function' ? process.getegid() : 0;
  return (
    `ping sockets are not allowed for group ${gid} (net.ipv4.ping_group_range is "${pingGroupRange()}"): ` +
    `allow it with sudo sysctl -w net.ipv4.ping_group_range="${gid} ${gid}" ` +
    '(or "0 2147483647" for every group)'
  );
}

/** Explains a ping socket's socket() refusal (EACCES) and what to do about it. */
export function explainPingRefused(error: unknown, rawTried: boolean): unknown {
  if (!hasCode(error, 'EACCES')) return error;
  return explain(
    error,
    rawTried
      ? `${pingSysctlHint()}; a raw ICMP socket, the other way, was refused too (${RAW_HINT})`
      : `${pingSysctlHint()}, or use kind 'raw' with CAP_NET_RAW`,
  );
}

/** Explains a raw socket's socket() refusal (EPERM): CAP_NET_RAW, and for ICMP the ping-socket way. */
export function explainRawRefused(error: unknown, icmp: boolean): unknown {
  if (!hasCode(error, 'EPERM') || error.syscall !== 'socket') return error;
  const rawHint = icmp ? RAW_HINT : RAW_HINT.replace('raw ICMP sockets', 'raw IP sockets');
  return explain(
    error,
    icmp ? `${rawHint}; or use kind 'dgram' (ping sockets, allowed by net.ipv4.ping_group_range)` : rawHint,
  );
}
