// traceroute(): the path to a host, hop by hop, as Debian's traceroute (Dmitry Butskoy's) finds
// it: probes with TTL 1, 2, … (`queries` per TTL, up to `simultaneous` in flight), each from a
// socket of its own with the error queue on (ip(7) IP_RECVERR), so every answer belongs to its
// probe. A router that drops a probe for its TTL sends "time exceeded" (that router is the hop);
// the destination answers a UDP probe with "port unreachable" and an ICMP probe with an echo
// reply (reached); any other "destination unreachable" ends the trace at that hop, marked as
// traceroute marks it (!H, !N, !X, …).
import { checkInteger, checkOneOf, checkString, invalidArgType } from '../core/validate.js';
import type { IcmpErrorMessage } from '../icmp/icmp-error.js';
import type { PingMessage } from '../icmp/ping-socket.js';
import { PingSocket, type PingSocketType } from '../icmp/ping-socket.js';
import { checkCommonOptions, resolveTarget } from '../icmp/target.js';
import { native } from '../native.js';
import { type UdpProbeReply, UdpProbeSocket } from './udp-probe.js';

/**
 * Options of {@link traceroute}.
 * @example await traceroute('192.0.2.1', { probe: 'icmp', maxHops: 20, queries: 1, timeout: 2000 })
 */
export interface TracerouteOptions {
  /** 'udp' (default, as traceroute without -I; no privileges) or 'icmp' (echo requests, as traceroute -I, over a ping socket). */
  probe?: 'udp' | 'icmp';
  /** Highest TTL tried (default 30). */
  maxHops?: number;
  /** First TTL tried (default 1). */
  firstHop?: number;
  /** Probes per hop (default 3). */
  queries?: number;
  /** UDP probes: the destination port of the first probe, one more for each next probe (default 33434). */
  port?: number;
  /** Milliseconds to wait for each probe's answer (default 5000, traceroute's -w). */
  timeout?: number;
  /** Probes in flight at once (default 16, traceroute's -N). */
  simultaneous?: number;
  /** Data bytes in each probe (default 32: 60-byte IPv4 packets, 80-byte IPv6 ones, as traceroute's default). */
  size?: number;
  /** ICMP probes: the socket type (default 'auto': a ping socket, else raw). */
  type?: 'auto' | PingSocketType;
  /** Address family to resolve a host name to. */
  family?: 4 | 6;
  /** Ends the trace early; traceroute() then resolves with the hops it has. */
  signal?: AbortSignal;
  /** Called with each probe's outcome as it comes. */
  onProbe?: (probe: TracerouteProbe) => void;
}

/** One probe's outcome. */
export interface TracerouteProbe {
  /** The TTL it was sent with (its hop). */
  ttl: number;
  /** Which of the hop's queries it was (0-based). */
  query: number;
  /** Who answered; undefined when nobody did within the timeout (traceroute's "*"). */
  address?: string;
  /** Round trip in milliseconds (kernel receive time of the answer minus send time). */
  rtt?: number;
  /** traceroute's mark after the time: '' or '!H', '!N', '!X', '!P', '!F-<mtu>', … */
  annotation: string;
  /** The destination itself answered. */
  reached: boolean;
  /** The ICMP error that answered the probe, when one did. */
  error?: IcmpErrorMessage;
}

/** One TTL's probes, in query order. */
export interface TracerouteHop {
  /** The TTL. */
  ttl: number;
  /** Its probes. */
  probes: TracerouteProbe[];
}

/** What {@link traceroute} resolves with. */
export interface TracerouteResult {
  /** The host as given. */
  host: string;
  /** The address traced to. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** Hops from firstHop to the last one that answered finally (or maxHops). */
  hops: TracerouteHop[];
  /** Whether the destination answered. */
  reached: boolean;
}

function checkOptions(options: unknown): TracerouteOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as TracerouteOptions;
  if (o.probe !== undefined) checkOneOf('options.probe', o.probe, ['udp', 'icmp']);
  if (o.maxHops !== undefined) checkInteger('options.maxHops', o.maxHops, 1, 255);
  if (o.firstHop !== undefined) checkInteger('options.firstHop', o.firstHop, 1, o.maxHops ?? 30);
  if (o.queries !== undefined) checkInteger('options.queries', o.queries, 1, 10);
  if (o.port !== undefined) checkInteger('options.port', o.port, 1, 65535);
  if (o.timeout !== undefined) checkInteger('options.timeout', o.timeout, 1, 3_600_000);
  if (o.simultaneous !== undefined) checkInteger('options.simultaneous', o.simultaneous, 1, 1024);
  if (o.size !== undefined) checkInteger('options.size', o.size, 0, 65000);
  checkCommonOptions(o as Record<string, unknown>, 'onProbe');
  return o;
}

/** Whether an error ends the trace at its hop (traceroute stops at any unreachable). */
function isFinal(error: IcmpErrorMessage): boolean {
  return error.error === 'unreachable' || error.error === 'packet-too-big';
}

type ProbeSocket = PingSocket | UdpProbeSocket;

/**
 * Traces the path to `host` and resolves with its hops. Bad options throw before any probe; a
 * name that does not resolve, or a socket the system refuses, rejects.
 * @example
 * const { hops } = await traceroute('192.0.2.1', { queries: 1 });
 * for (const hop of hops) console.log(hop.ttl, hop.probes.map((p) => p.address ?? '*').join(' '));
 */
export async function traceroute(host: string, options?: TracerouteOptions): Promise<TracerouteResult> {
  checkString('host', host);
  const o = checkOptions(options);
  const target = await resolveTarget(host, o.family);
  const first = o.firstHop ?? 1;
  const max = o.maxHops ?? 30;
  const queries = o.queries ?? 3;
  const timeout = o.timeout ?? 5000;
  const simultaneous = o.simultaneous ?? 16;
  const basePort = o.port ?? 33434;
  const payload = Buffer.alloc(o.size ?? 32, 0x40);
  const total = (max - first + 1) * queries;
  const outcomes = new Map<number, TracerouteProbe>();
  const open = new Set<ProbeSocket>();
  let finalTtl = Infinity;
  let next = 0;
  let inFlight = 0;

  return new Promise<TracerouteResult>((resolvePromise, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      for (const socket of open) socket.close();
      open.clear();
      o.signal?.removeEventListener('abort', finish);
      const last = Math.min(max, finalTtl);
      const hops: TracerouteHop[] = [];
      for (let ttl = first; ttl <= last; ttl++) {
        const probes: TracerouteProbe[] = [];
        for (let q = 0; q < queries; q++) {
          const probe = outcomes.get((ttl - first) * queries + q);
          if (probe) probes.push(probe);
        }
        if (probes.length > 0) hops.push({ ttl, probes });
      }
      const reached = hops.some((h) => h.probes.some((p) => p.reached));
      resolvePromise({ host, address: target.address, family: target.family, hops, reached });
    };
    const fail = (error: unknown) => {
      if (done) return;
      done = true;
      for (const socket of open) socket.close();
      reject(error);
    };
    const ttlOf = (index: number) => first + Math.floor(index / queries);
    const launch = () => {
      while (!done && inFlight < simultaneous && next < total && ttlOf(next) <= finalTtl) start(next++);
      if (!done && inFlight === 0 && (next >= total || ttlOf(next) > finalTtl)) finish();
    };
    const start = (index: number) => {
      const ttl = ttlOf(index);
      const query = index % queries;
      let socket: ProbeSocket;
      try {
        socket =
          o.probe === 'icmp'
            ? PingSocket.create({ family: target.family, type: o.type ?? 'auto', ttl })
            : UdpProbeSocket.open(target.family, ttl);
      } catch (error) {
        fail(error);
        return;
      }
      open.add(socket);
      inFlight++;
      let sentAt = 0n;
      let settled = false;
      const settle = (probe: TracerouteProbe) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        open.delete(socket);
        inFlight--;
        if (done) return;
        outcomes.set(index, probe);
        if (probe.reached || (probe.error && isFinal(probe.error))) finalTtl = Math.min(finalTtl, ttl);
        if (ttl <= finalTtl) o.onProbe?.(probe);
        launch();
      };
      const rtt = (receivedAt: bigint | undefined) => Number((receivedAt ?? native.realtimeNs()) - sentAt) / 1e6;
      const timer = setTimeout(() => settle({ ttl, query, annotation: '', reached: false }), timeout);
      const onMessage = (m: PingMessage | IcmpErrorMessage | UdpProbeReply) => {
        if (m.kind === 'icmp-error') {
          // UDP probes: "port unreachable" comes from the destination itself.
          const reached = m.error === 'unreachable' && m.unreachable === 'port';
          settle({
            ttl,
            query,
            ...(m.offender === undefined ? {} : { address: m.offender }),
            rtt: rtt(m.receivedAt),
            annotation: m.annotation,
            reached,
            error: m,
          });
        } else {
          // An echo reply to the ICMP probe, or a UDP reply from a listening port: the destination.
          settle({ ttl, query, address: m.address, rtt: rtt(m.receivedAt), annotation: '', reached: true });
        }
      };
      socket.on('message', onMessage as never);
      socket.on('error', (error: Error) => fail(error));
      sentAt = native.realtimeNs();
      const sent =
        socket instanceof PingSocket
          ? socket.send({ sequence: index + 1, payload }, target.address)
          : socket.probe(payload, target.address, (basePort + index) & 0xffff || 1);
      sent.catch((error: unknown) => {
        if (settled || done) return;
        // A local refusal (no route: ENETUNREACH) ends the trace at this hop.
        finalTtl = Math.min(finalTtl, ttl);
        settle({ ttl, query, annotation: `!${(error as NodeJS.ErrnoException).code ?? 'E'}`, reached: false });
      });
    };
    if (o.signal?.aborted) {
      finish();
      return;
    }
    o.signal?.addEventListener('abort', finish, { once: true });
    launch();
  });
}

/**
 * A hop as Debian's traceroute prints it with -n: " 2  192.0.2.1  0.512 ms  0.498 ms !X  *",
 * the address written again only when it changes within the hop.
 * @example for (const hop of result.hops) console.log(formatTracerouteHop(hop));
 */
export function formatTracerouteHop(hop: TracerouteHop): string {
  let line = `${String(hop.ttl).padStart(2)} `;
  let previous: string | undefined;
  for (const p of hop.probes) {
    if (p.address === undefined) {
      line += ' *';
      continue;
    }
    if (p.address !== previous) line += ` ${p.address}`;
    previous = p.address;
    line += `  ${(p.rtt ?? 0).toFixed(3)} ms`;
    if (p.annotation) line += ` ${p.annotation}`;
  }
  return line;
}
