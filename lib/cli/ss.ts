// `rawsock ss`: iproute2's ss for packet, TCP and UDP sockets, with the same flags (-f link|inet|
// inet6, -l, -a, -n, -p, -t, -u, -i, -H), the same selection rules (misc/ss.c filter defaults),
// the same columns, and --json. Where ss silently shows nothing because /proc/PID/fd of another
// user's process cannot be read, this says so ("users:(?)" and a note on stderr).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type InetSocketEntry,
  listInetSockets,
  listPacketSockets,
  type PacketSocketEntry,
  type ProcessScan,
  type SocketOwner,
} from '../diag/index.js';
import { packetProtocolText, type SocketState, ssStateText, stateNumber, TCP_STATES } from '../diag/names.js';
import { renderTable, ssColumns } from './table.js';

type Db = 'tcp' | 'udp' | 'p_raw' | 'p_dgr';
type Family = 'inet' | 'inet6' | 'link';

// State bits as ss uses them (1 << TCP state).
const S = (n: number) => 1 << n;
const SS_ALL = 0x3ffe;
const SS_LISTEN_CLOSE = S(10) | S(7);
const SS_CONN = SS_ALL & ~(S(10) | S(7) | S(6) | S(3));
const DB_STATES: Record<Db, number> = { tcp: SS_CONN, udp: S(1), p_raw: S(7), p_dgr: S(7) };
const DB_FAMILIES: Record<Db, Family[]> = {
  tcp: ['inet', 'inet6'],
  udp: ['inet', 'inet6'],
  p_raw: ['link'],
  p_dgr: ['link'],
};
const FAMILY_DEFAULTS: Record<Family, { dbs: Db[]; states: number }> = {
  inet: { dbs: ['tcp', 'udp'], states: SS_CONN },
  inet6: { dbs: ['tcp', 'udp'], states: SS_CONN },
  link: { dbs: ['p_raw', 'p_dgr'], states: S(7) },
};

export const SS_USAGE = `Usage: rawsock ss [OPTIONS]
  -f, --family=FAMILY  link (packet sockets), inet or inet6 (TCP and UDP); may repeat
  -t, --tcp            TCP sockets
  -u, --udp            UDP sockets
  -l, --listening      listening sockets only (and unconnected UDP / packet sockets)
  -a, --all            sockets in every state
  -n, --numeric        do not resolve protocol and service names
  -p, --processes      show the processes holding each socket
  -i, --info           TCP internals: congestion algorithm, rtt, cwnd ...
  -H, --no-header      no header line
      --json           machine-readable output
  -h, --help           this text
Environment: PROC_ROOT, PROC_NET_PACKET as for iproute2's ss (read /proc files instead of netlink).
`;

export interface SsSelection {
  dbs: Set<Db>;
  families: Set<Family>;
  states: number;
  /** The last -f given: ss dumps only that inet family when it is inet or inet6. */
  preferred?: Family;
}

/** ss's rules (misc/ss.c main, filter_db_set, filter_af_set, filter_merge_defaults). */
export function selection(
  flags: { family?: string[]; tcp?: boolean; udp?: boolean; listening?: boolean; all?: boolean },
  order: string[],
): SsSelection {
  const dbs = new Set<Db>();
  const families = new Set<Family>();
  let states = 0;
  let stateFilter = 0;
  let preferred: Family | undefined;
  let byDefault = true;
  // Options apply in the order given: -l and -a override each other, the last one wins.
  let familyIndex = 0;
  for (const option of order) {
    if (option === 'tcp' || option === 'udp') {
      dbs.add(option);
      states |= DB_STATES[option];
      byDefault = false;
    } else if (option === 'family') {
      const family = (flags.family ?? [])[familyIndex++];
      if (family !== 'link' && family !== 'inet' && family !== 'inet6') {
        throw new UsageError(`"${family}" is invalid family (rawsock ss knows link, inet and inet6)`);
      }
      families.add(family);
      states |= FAMILY_DEFAULTS[family].states;
      preferred = family;
      byDefault = false;
    } else if (option === 'listening') {
      stateFilter = SS_LISTEN_CLOSE;
    } else if (option === 'all') {
      stateFilter = SS_ALL;
    }
  }
  if (byDefault) {
    states = stateFilter || SS_CONN;
    for (const db of ['tcp', 'udp', 'p_raw', 'p_dgr'] as Db[]) dbs.add(db);
  }
  if (stateFilter) states = stateFilter;
  for (const db of dbs) {
    if (!DB_FAMILIES[db].some((f) => families.has(f))) for (const f of DB_FAMILIES[db]) families.add(f);
  }
  for (const family of families) {
    const defaults = FAMILY_DEFAULTS[family];
    if (!defaults.dbs.some((db) => dbs.has(db))) for (const db of defaults.dbs) dbs.add(db);
  }
  return { dbs, families, states, preferred };
}

export class UsageError extends Error {}

interface Row {
  netid: string;
  state: number;
  recvQ: number;
  sendQ: number;
  local: string;
  localPort: string;
  peer: string;
  peerPort: string;
  owners: SocketOwner[];
  ownersComplete: boolean;
  extra: string;
  json: object;
}

/** ss -i's line for a TCP socket (tcp_stats_print): only the fields that are set. */
function tcpInfoText(socket: InetSocketEntry, numeric: boolean): string {
  const parts: string[] = [];
  const g = (x: number) => String(Number(x.toPrecision(6)));
  const bw = (bps: number) => {
    if (numeric) return bps.toFixed(0);
    for (const [scale, unit] of [
      [1e12, 'T'],
      [1e9, 'G'],
      [1e6, 'M'],
      [1e3, 'k'],
    ] as const) {
      if (bps >= scale) return `${Number((bps / scale).toPrecision(3))}${unit}`;
    }
    return g(bps);
  };
  const info = socket.tcpInfo;
  if (socket.congestion) parts.push(socket.congestion);
  if (info) {
    if (info.options & 0x4) parts.push(`wscale:${info.sendWindowScale},${info.receiveWindowScale}`);
    if (info.rto && info.rto !== 3000000) parts.push(`rto:${g(info.rto / 1000)}`);
    if (info.backoff) parts.push(`backoff:${info.backoff}`);
    if (info.rtt) parts.push(`rtt:${g(info.rtt / 1000)}/${g(info.rttVariance / 1000)}`);
    if (info.ato) parts.push(`ato:${g(info.ato / 1000)}`);
    if (info.sendMss) parts.push(`mss:${info.sendMss}`);
    if (info.pmtu) parts.push(`pmtu:${info.pmtu}`);
    if (info.receiveMss) parts.push(`rcvmss:${info.receiveMss}`);
    if (info.advmss) parts.push(`advmss:${info.advmss}`);
    if (info.sendCwnd) parts.push(`cwnd:${info.sendCwnd}`);
    if (info.sendSsthresh && info.sendSsthresh < 0xffff) parts.push(`ssthresh:${info.sendSsthresh}`);
    if (info.bytesSent) parts.push(`bytes_sent:${info.bytesSent}`);
    if (info.bytesRetrans) parts.push(`bytes_retrans:${info.bytesRetrans}`);
    if (info.bytesAcked) parts.push(`bytes_acked:${info.bytesAcked}`);
    if (info.bytesReceived) parts.push(`bytes_received:${info.bytesReceived}`);
    if (info.segsOut) parts.push(`segs_out:${info.segsOut}`);
    if (info.segsIn) parts.push(`segs_in:${info.segsIn}`);
    if (info.dataSegsOut) parts.push(`data_segs_out:${info.dataSegsOut}`);
    if (info.dataSegsIn) parts.push(`data_segs_in:${info.dataSegsIn}`);
    if (socket.bbr) {
      const b = socket.bbr;
      let text = `bbr:(bw:${bw(b.bandwidth * 8)}bps,mrtt:${g(b.minRtt / 1000)}`;
      if (b.pacingGain) text += `,pacing_gain:${g(b.pacingGain)}`;
      if (b.cwndGain) text += `,cwnd_gain:${g(b.cwndGain)}`;
      parts.push(`${text})`);
    }
    if (info.rtt && info.sendMss && info.sendCwnd) {
      parts.push(`send ${bw((info.sendCwnd * info.sendMss * 8_000_000) / info.rtt)}bps`);
    }
    if (info.lastDataSent) parts.push(`lastsnd:${info.lastDataSent}`);
    if (info.lastDataReceived) parts.push(`lastrcv:${info.lastDataReceived}`);
    if (info.lastAckReceived) parts.push(`lastack:${info.lastAckReceived}`);
    if (info.pacingRate) parts.push(`pacing_rate ${bw(info.pacingRate * 8)}bps`);
    if (info.deliveryRate) parts.push(`delivery_rate ${bw(info.deliveryRate * 8)}bps`);
    if (info.delivered) parts.push(`delivered:${info.delivered}`);
    if (info.deliveryRateAppLimited) parts.push('app_limited');
    if (info.busyTime) parts.push(`busy:${Math.floor(info.busyTime / 1000)}ms`);
    if (info.unacked) parts.push(`unacked:${info.unacked}`);
    if (info.retrans || info.totalRetrans) parts.push(`retrans:${info.retrans}/${info.totalRetrans}`);
    if (info.lost) parts.push(`lost:${info.lost}`);
    if (info.sacked && socket.state !== 'LISTEN') parts.push(`sacked:${info.sacked}`);
    if (info.reordering !== 3) parts.push(`reordering:${info.reordering}`);
    if (info.receiveRtt) parts.push(`rcv_rtt:${g(info.receiveRtt / 1000)}`);
    if (info.receiveSpace) parts.push(`rcv_space:${info.receiveSpace}`);
    if (info.receiveSsthresh) parts.push(`rcv_ssthresh:${info.receiveSsthresh}`);
    if (info.notsentBytes) parts.push(`notsent:${info.notsentBytes}`);
    if (info.minRtt) parts.push(`minrtt:${g(info.minRtt / 1000)}`);
    if (info.sendWindow) parts.push(`snd_wnd:${info.sendWindow}`);
  }
  return parts.length ? `\n\t ${parts.join(' ')}` : '';
}

/** Service names from /etc/services, as getservbyport finds them (first entry wins). */
function serviceNames(): (port: number, protocol: 'tcp' | 'udp') => string | undefined {
  let table: Map<string, string> | undefined;
  let ephemeral: [number, number] | undefined;
  return (port, protocol) => {
    if (ephemeral === undefined) {
      // ss does not look up ports in the local (ephemeral) range.
      try {
        const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
          .trim()
          .split(/\s+/)
          .map(Number);
        ephemeral = [min, max];
      } catch {
        ephemeral = [1024, 4999];
      }
    }
    if (port >= ephemeral[0] && port <= ephemeral[1]) return undefined;
    if (table === undefined) {
      table = new Map();
      try {
        for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
          const match = /^([^#\s]+)\s+(\d+)\/(\w+)/.exec(line);
          if (match && !table.has(`${match[2]}/${match[3]}`)) table.set(`${match[2]}/${match[3]}`, match[1]);
        }
      } catch {
        // No services database: ports stay numeric.
      }
    }
    return table.get(`${port}/${protocol}`);
  };
}

function packetRow(socket: PacketSocketEntry, numeric: boolean): Row {
  return {
    netid: socket.type === 'raw' ? 'p_raw' : 'p_dgr',
    state: 7,
    recvQ: socket.receiveQueue,
    sendQ: 0,
    local: `${packetProtocolText(socket.protocol, numeric)}:`,
    localPort: socket.interfaceName ?? '*',
    peer: '*', // ss prints the peer of a packet socket as a bare '*' in the address column
    peerPort: '',
    owners: socket.processes,
    ownersComplete: socket.processesComplete,
    extra: '',
    json: { netid: socket.type === 'raw' ? 'p_raw' : 'p_dgr', ...socket },
  };
}

function inetAddress(address: string, family: 4 | 6, v6only: boolean | undefined): string {
  if (family === 4) return address;
  if (address === '::' && !v6only) return '*';
  return `[${address}]`;
}

function inetRow(
  socket: InetSocketEntry,
  numeric: boolean,
  info: boolean,
  service: ReturnType<typeof serviceNames>,
): Row {
  const port = (n: number) => {
    if (n === 0) return '*';
    if (numeric || socket.protocol === 'udplite') return String(n);
    return service(n, socket.protocol as 'tcp' | 'udp') ?? String(n);
  };
  const ifname = socket.interfaceName ? `%${socket.interfaceName}` : '';
  return {
    netid: socket.protocol,
    state: stateNumber(socket.state),
    recvQ: socket.receiveQueue,
    sendQ: socket.sendQueue,
    local: `${inetAddress(socket.localAddress, socket.family, socket.v6only)}${ifname}:`,
    localPort: port(socket.localPort),
    peer: `${inetAddress(socket.peerAddress, socket.family, socket.v6only)}:`,
    peerPort: port(socket.peerPort),
    owners: socket.processes,
    ownersComplete: socket.processesComplete,
    extra: info && socket.protocol === 'tcp' ? tcpInfoText(socket, numeric) : '',
    json: { netid: socket.protocol, ...socket },
  };
}

function usersText(row: Row): string {
  if (row.owners.length === 0) return row.ownersComplete ? '' : ' users:(?)';
  // ss lists the holders newest process first, highest descriptor first.
  const owners = [...row.owners].sort((a, b) => b.pid - a.pid || b.fd - a.fd);
  return ` users:(${owners.map((o) => `("${o.command}",pid=${o.pid},fd=${o.fd})`).join(',')})`;
}

export interface SsOutput {
  stdout: string;
  stderr: string;
}

/** Runs `rawsock ss ARGS` and returns what it prints. */
export async function ss(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  screenWidth?: number,
): Promise<SsOutput> {
  const { values, tokens } = parseArgs({
    args,
    options: {
      family: { type: 'string', short: 'f', multiple: true },
      tcp: { type: 'boolean', short: 't' },
      udp: { type: 'boolean', short: 'u' },
      listening: { type: 'boolean', short: 'l' },
      all: { type: 'boolean', short: 'a' },
      numeric: { type: 'boolean', short: 'n' },
      processes: { type: 'boolean', short: 'p' },
      info: { type: 'boolean', short: 'i' },
      'no-header': { type: 'boolean', short: 'H' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    tokens: true,
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { stdout: SS_USAGE, stderr: '' };
  const order = tokens.filter((t) => t.kind === 'option').map((t) => t.name);
  const chosen = selection(values, order);
  const numeric = values.numeric ?? false;
  const withProcesses = values.processes ?? false;
  const procRoot = env.PROC_ROOT;
  const rows: Row[] = [];
  const scans: ProcessScan[] = [];
  const sources: Record<string, string> = {};
  const notes: string[] = [];

  if (chosen.families.has('link') && chosen.states & S(7) && (chosen.dbs.has('p_raw') || chosen.dbs.has('p_dgr'))) {
    // Like ss: PROC_NET_PACKET / PROC_ROOT make it read the /proc file instead of netlink.
    const useProc = env.PROC_NET_PACKET !== undefined || env.PROC_ROOT !== undefined;
    const list = await listPacketSockets({
      source: useProc ? 'proc' : 'auto',
      procRoot,
      procNetPacket: env.PROC_NET_PACKET,
      processes: withProcesses || values.json === true,
    });
    sources.packet = list.source;
    if (list.fallbackReason) notes.push(`packet sockets read from /proc/net/packet: ${list.fallbackReason}`);
    scans.push(list.processes);
    for (const socket of list.sockets) {
      if (!chosen.dbs.has(socket.type === 'raw' ? 'p_raw' : 'p_dgr')) continue;
      rows.push(packetRow(socket, numeric));
    }
  }

  const service = serviceNames();
  const inetFamilies: (4 | 6)[] = [];
  if (chosen.families.has('inet') && chosen.preferred !== 'inet6') inetFamilies.push(4);
  if (chosen.families.has('inet6') && chosen.preferred !== 'inet') inetFamilies.push(6);
  for (const protocol of ['udp', 'tcp'] as const) {
    if (!chosen.dbs.has(protocol) || inetFamilies.length === 0) continue;
    for (const family of inetFamilies) {
      const list = await listInetSockets({
        protocol,
        family,
        states: statesOf(chosen.states),
        processes: withProcesses || values.json === true,
        procRoot,
      });
      sources[protocol] = list.source;
      scans.push(list.processes);
      for (const socket of list.sockets) rows.push(inetRow(socket, numeric, values.info ?? false, service));
    }
  }

  const partial = rows.some((row) => row.owners.length === 0 && !row.ownersComplete);
  const unreadable = [...new Set(scans.flatMap((s) => s.unreadable))].sort((a, b) => a - b);
  if (withProcesses && partial) {
    notes.push(
      `process information is partial: /proc/PID/fd of ${unreadable.length} process(es) could not be read ` +
        '(another user, or not dumpable; reading them needs CAP_SYS_PTRACE). Sockets shown as users:(?) may belong to them.',
    );
  }
  const stderr = notes.map((n) => `rawsock ss: ${n}\n`).join('');

  if (values.json) {
    const processes = {
      complete: unreadable.length === 0,
      unreadable,
    };
    const out = { sockets: rows.map((r) => r.json), sources, processes };
    return { stdout: `${JSON.stringify(out, null, 2)}\n`, stderr };
  }

  const columns = ssColumns();
  const stateBits = chosen.states;
  columns[0].enabled = chosen.dbs.size > 1; // ss: Netid only when more than one table is shown
  columns[1].enabled = (stateBits & (stateBits - 1)) !== 0; // State only when more than one state
  columns[8].enabled = withProcesses;
  const table: string[][] = [];
  if (!values['no-header']) table.push(columns.map((c) => c.header));
  for (const row of rows) {
    table.push([
      row.netid,
      ssStateText(row.state),
      String(row.recvQ).padEnd(6),
      String(row.sendQ).padEnd(6),
      row.local,
      row.localPort,
      row.peer,
      row.peerPort,
      withProcesses ? usersText(row) : '',
      row.extra,
    ]);
  }
  return { stdout: renderTable(columns, table, screenWidth), stderr };
}

/** The state names of an ss state bitmask. */
function statesOf(mask: number): SocketState[] {
  return TCP_STATES.filter((_, n) => n > 0 && mask & (1 << n)) as SocketState[];
}
