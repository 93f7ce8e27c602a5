// Socket introspection: which packet and inet sockets exist in this network namespace, what the
// kernel knows about them, and which processes hold them — what `ss -f link -lnp` and
// `ss -tinp` show, as data.
//
// Sources: NETLINK_SOCK_DIAG (packet_diag, inet_diag), /proc/net/packet when netlink is refused,
// and /proc/PID/fd for the owners (neither kernel source names them).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkOneOf, checkOptions, invalidArgValue } from '../core/validate.js';
import { native } from '../native.js';
import { sockDiagDump } from './dump.js';
import {
  AF_INET,
  AF_INET6,
  type BbrInfo,
  INET_DIAG_CONG,
  INET_DIAG_INFO,
  INET_DIAG_SHUTDOWN,
  INET_DIAG_SKMEMINFO,
  INET_DIAG_VEGASINFO,
  type InetDiagRecord,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  inetDiagRequest,
  parseInetDiagMessage,
  type TcpInfo,
} from './inet-diag.js';
import { etherTypeName, type FanoutModeName, type SocketState, stateName, stateNumber } from './names.js';
import { type OwnerScan, type SocketOwner, scanOwners } from './owners.js';
import {
  type FilterInstruction,
  PACKET_SHOW_FANOUT,
  PACKET_SHOW_FILTER,
  PACKET_SHOW_INFO,
  PACKET_SHOW_MCLIST,
  PACKET_SHOW_MEMINFO,
  PACKET_SHOW_RING_CFG,
  type PacketDiagRecord,
  type PacketMembership,
  packetDiagRequest,
  parsePacketDiagMessage,
  type RingConfig,
} from './packet-diag.js';
import { parseProcNetPacket } from './proc-net-packet.js';

export type { BbrInfo, TcpInfo } from './inet-diag.js';
export type { FanoutModeName, SocketState } from './names.js';
export type { SocketOwner } from './owners.js';
export type { FilterInstruction, PacketMembership, RingConfig } from './packet-diag.js';

/** What the owner walk over /proc/PID/fd achieved. */
export interface ProcessScan {
  /** False when `processes: false` was passed: no owner information at all. */
  scanned: boolean;
  /**
   * True when every process's descriptors could be read. proc(5): another user's (or a
   * non-dumpable) process's fd directory needs CAP_SYS_PTRACE; without it, holders are missing.
   */
  complete: boolean;
  /** The processes that could not be inspected. */
  unreadable: number[];
}

interface OwnedSocket {
  /** Socket inode (decimal string: /proc/net/packet prints an unsigned long). */
  inode: string;
  /** The socket's owner uid as the kernel reports it (in the caller's user namespace). */
  uid: number;
  /** Processes holding a descriptor for it, by pid then fd. */
  processes: SocketOwner[];
  /**
   * False when no holder was found but some processes could not be inspected: the holder may be
   * one of them. True when `processes` is the whole answer.
   */
  processesComplete: boolean;
}

/**
 * One packet socket (packet(7)). Convention: `null` means the kernel said there is none (no
 * ring, no fanout group); `undefined` means this source cannot tell (/proc/net/packet knows no
 * rings, fanout, drops or filters; the filter needs CAP_NET_ADMIN).
 */
export interface PacketSocketEntry extends OwnedSocket {
  /** 'raw' (SOCK_RAW: frames with their link-layer header) or 'cooked' (SOCK_DGRAM: without). */
  type: 'raw' | 'cooked';
  /** The EtherType it is hooked for, host byte order (0x0003 ETH_P_ALL: every protocol; 0: none yet). */
  protocol: number;
  /** ss's name for it ('all', 'ip', 'ipv6', 'arp', 'LLDP' ...), undefined when it has none. */
  protocolName: string | undefined;
  /** Interface it is bound to (sll_ifindex); 0 = every interface. */
  interfaceIndex: number;
  /** Its name, null when bound to every interface ('if<N>' when the interface is gone). */
  interfaceName: string | null;
  /** Whether it is hooked into the receive path (bound with a non-zero protocol). */
  running: boolean;
  /** Bytes waiting to be read (sk_rmem_alloc; ss's Recv-Q). */
  receiveQueue: number;
  /** Packets dropped because the receive buffer was full (SK_MEMINFO_DROPS). */
  drops: number | undefined;
  /** PACKET_VERSION in use: 1, 2 or 3 (TPACKET_V1..V3). */
  tpacketVersion: number | undefined;
  /** PACKET_RX_RING geometry (the receive ring). */
  rxRing: RingConfig | null | undefined;
  /** PACKET_TX_RING geometry (the transmit ring). */
  txRing: RingConfig | null | undefined;
  /** PACKET_FANOUT group. */
  fanout:
    | {
        /** The group id (PACKET_FANOUT's low 16 bits). */
        id: number;
        /** The mode's name, or its number when this version does not know it. */
        mode: FanoutModeName | number;
      }
    | null
    | undefined;
  /** PACKET_ADD_MEMBERSHIP entries (promiscuous mode and multicast). */
  memberships: PacketMembership[] | undefined;
  /**
   * Whether a classic BPF filter is attached. undefined without CAP_NET_ADMIN (the kernel then
   * answers with an empty attribute whatever is attached) and from /proc/net/packet. An eBPF
   * program (SO_ATTACH_BPF) is reported as no classic filter.
   */
  filterAttached: boolean | undefined;
  /** The attached program, when `filter: true` was asked and the kernel showed it. */
  filter?: FilterInstruction[];
}

/**
 * Options of {@link listPacketSockets}.
 * @example
 * await listPacketSockets({ filter: true, processes: false, source: 'netlink' });
 */
export interface ListPacketSocketsOptions {
  /** Also return each attached classic BPF program (shown only to CAP_NET_ADMIN). Default false. */
  filter?: boolean;
  /** Walk /proc/PID/fd to find each socket's holders. Default true. */
  processes?: boolean;
  /**
   * 'netlink': packet_diag only; 'proc': /proc/net/packet only; 'auto' (default): netlink, and
   * /proc/net/packet when the kernel refuses it (no packet_diag module, a seccomp policy ...).
   */
  source?: 'auto' | 'netlink' | 'proc';
  /** Where procfs is (default '/proc'); the owner walk and /proc/net/packet are read under it. */
  procRoot?: string;
  /** Read this file instead of <procRoot>/net/packet (what ss's PROC_NET_PACKET does). */
  procNetPacket?: string;
  /** Netlink answer timeout (default 5000 ms). */
  timeoutMs?: number;
}

/**
 * The answer of {@link listPacketSockets} and {@link listInetSockets}: the sockets, where the
 * facts came from, and how complete the owner walk was.
 * @example
 * const list = await listPacketSockets();
 * if (!list.processes.complete) console.warn('some holders are unknown:', list.processes.unreadable);
 */
export interface SocketList<T> {
  /** The sockets, in the order the kernel listed them. */
  sockets: T[];
  /** Where the socket facts came from. */
  source: 'netlink' | 'proc';
  /** When 'auto' fell back to /proc: the netlink error that made it. */
  fallbackReason?: string;
  /** How far the walk over /proc/PID/fd that finds each socket's holders got. */
  processes: ProcessScan;
}

/** What {@link listPacketSockets} returns. */
export type PacketSocketList = SocketList<PacketSocketEntry>;

const PACKET_LIST_OPTIONS = ['filter', 'processes', 'source', 'procRoot', 'procNetPacket', 'timeoutMs'];

function interfaceNamer(): (index: number) => string | null {
  const cache = new Map<number, string | null>();
  return (index) => {
    if (index === 0) return null;
    let name = cache.get(index);
    if (name === undefined) {
      try {
        name = native.ifIndexToName(index);
      } catch {
        name = `if${index}`; // the interface is gone (ss prints the same)
      }
      cache.set(index, name);
    }
    return name;
  };
}

async function owners(
  enabled: boolean,
  procRoot: string,
  inodes: Iterable<string>,
): Promise<{ scan: OwnerScan | undefined; summary: ProcessScan }> {
  if (!enabled) return { scan: undefined, summary: { scanned: false, complete: false, unreadable: [] } };
  const scan = await scanOwners({ procRoot, wanted: new Set(inodes) });
  return { scan, summary: { scanned: true, complete: scan.unreadable.length === 0, unreadable: scan.unreadable } };
}

function ownership(scan: OwnerScan | undefined, inode: string): Pick<OwnedSocket, 'processes' | 'processesComplete'> {
  if (scan === undefined) return { processes: [], processesComplete: false };
  const processes = scan.byInode.get(inode) ?? [];
  return { processes, processesComplete: processes.length > 0 || scan.unreadable.length === 0 };
}

const PACKET_SHOW =
  PACKET_SHOW_INFO |
  PACKET_SHOW_MCLIST |
  PACKET_SHOW_RING_CFG |
  PACKET_SHOW_FANOUT |
  PACKET_SHOW_MEMINFO |
  PACKET_SHOW_FILTER;

/** Every packet socket as packet_diag describes it. */
async function packetRecordsFromNetlink(timeoutMs: number | undefined): Promise<PacketDiagRecord[]> {
  const payloads = await sockDiagDump(packetDiagRequest(PACKET_SHOW), { timeoutMs });
  return payloads.map((payload) => parsePacketDiagMessage(payload, PACKET_SHOW));
}

async function packetRecordsFromProc(file: string): Promise<PacketDiagRecord[]> {
  const text = await readFile(file, 'latin1');
  return parseProcNetPacket(text).map((r) => ({
    inode: r.inode,
    socketType: r.socketType,
    protocol: r.protocol,
    cookie: '',
    interfaceIndex: r.interfaceIndex,
    running: r.running,
    receiveQueue: r.receiveQueue,
    uid: r.uid,
  }));
}

/**
 * Every packet socket in the caller's network namespace, with the processes holding each.
 *
 * Anyone may list packet sockets (packet_diag and /proc/net/packet need no privilege); the
 * holders of other users' sockets need CAP_SYS_PTRACE, and filters need CAP_NET_ADMIN. What
 * could not be seen is reported (`processes.complete`, `processesComplete`, `filterAttached`
 * undefined), never silently left out.
 * @example
 * const { sockets } = await listPacketSockets();
 * for (const s of sockets) console.log(s.interfaceName ?? '*', s.protocolName, s.processes);
 */
export async function listPacketSockets(options?: ListPacketSocketsOptions): Promise<PacketSocketList> {
  const o = checkOptions(
    'options',
    options,
    PACKET_LIST_OPTIONS,
    'listPacketSockets()',
    true,
  ) as ListPacketSocketsOptions;
  const source = checkOneOf('options.source', o.source ?? 'auto', ['auto', 'netlink', 'proc']);
  const procRoot = o.procRoot ?? '/proc';
  const procFile = o.procNetPacket ?? path.join(procRoot, 'net', 'packet');
  let records: PacketDiagRecord[];
  let used: 'netlink' | 'proc' = 'netlink';
  let fallbackReason: string | undefined;
  if (source === 'proc') {
    records = await packetRecordsFromProc(procFile);
    used = 'proc';
  } else {
    try {
      records = await packetRecordsFromNetlink(o.timeoutMs);
    } catch (error) {
      // Only the kernel refusing (an errno) is a reason to fall back; a parse error is a bug to see.
      if (source === 'netlink' || typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
      if ((error as NodeJS.ErrnoException).code === 'ERR_RAWSOCK_DIAG_PARSE') throw error;
      fallbackReason = (error as Error).message;
      records = await packetRecordsFromProc(procFile);
      used = 'proc';
    }
  }
  const { scan, summary } = await owners(
    o.processes !== false,
    procRoot,
    records.map((r) => r.inode),
  );
  const nameOf = interfaceNamer();
  const fromNetlink = used === 'netlink';
  const sockets = records.map((r): PacketSocketEntry => {
    const interfaceIndex = r.interfaceIndex ?? 0;
    const socket: PacketSocketEntry = {
      inode: r.inode,
      type: r.socketType === 3 ? 'raw' : 'cooked',
      protocol: r.protocol,
      protocolName: etherTypeName(r.protocol),
      interfaceIndex,
      interfaceName: nameOf(interfaceIndex),
      running: r.running ?? false,
      uid: r.uid ?? 0,
      receiveQueue: r.receiveQueue ?? 0,
      drops: r.drops,
      tpacketVersion: r.tpacketVersion,
      rxRing: fromNetlink ? (r.rxRing ?? null) : undefined,
      txRing: fromNetlink ? (r.txRing ?? null) : undefined,
      fanout: fromNetlink ? (r.fanout ?? null) : undefined,
      memberships: r.memberships,
      filterAttached: r.filter?.attached,
      ...ownership(scan, r.inode),
    };
    if (o.filter && r.filter?.instructions) socket.filter = r.filter.instructions;
    return socket;
  });
  const list: PacketSocketList = { sockets, source: used, processes: summary };
  if (fallbackReason !== undefined) list.fallbackReason = fallbackReason;
  return list;
}

/** One TCP, UDP or UDP-Lite socket (inet_diag). */
export interface InetSocketEntry extends OwnedSocket {
  /** The transport protocol (IPPROTO_TCP, IPPROTO_UDP or IPPROTO_UDPLITE). */
  protocol: 'tcp' | 'udp' | 'udplite';
  /** IP version: 4 (AF_INET) or 6 (AF_INET6). */
  family: 4 | 6;
  /** TCP state; UDP sockets are 'ESTABLISHED' when connected and 'CLOSE' otherwise. */
  state: SocketState;
  /** The address it is bound to ('0.0.0.0' / '::' for any). */
  localAddress: string;
  /** The port it is bound to (0 when not bound). */
  localPort: number;
  /** The connected peer's address ('0.0.0.0' / '::' when not connected). */
  peerAddress: string;
  /** The connected peer's port (0 when not connected). */
  peerPort: number;
  /** SO_BINDTODEVICE interface (0 / null: none). */
  interfaceIndex: number;
  /** Its name, null when none. */
  interfaceName: string | null;
  /** TCP listeners: connections waiting in accept(); otherwise bytes not yet read. */
  receiveQueue: number;
  /** TCP listeners: the accept backlog; otherwise bytes not yet sent / acknowledged. */
  sendQueue: number;
  /** IPV6_V6ONLY, for IPv6 sockets. */
  v6only?: boolean;
  /** TCP: the congestion control algorithm (INET_DIAG_CONG; what `ss -ti` prints). */
  congestion?: string;
  /** TCP: struct tcp_info (what the rest of `ss -ti` prints). */
  tcpInfo?: TcpInfo;
  /** TCP: SHUT_RD 1 | SHUT_WR 2 as recorded by the kernel. */
  shutdown?: number;
  /** TCP with bbr: its bandwidth and RTT model (INET_DIAG_BBRINFO). */
  bbr?: BbrInfo;
  /** SK_MEMINFO_* (rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem, backlog, drops). */
  memory?: number[];
}

/** States as ss groups them: -l (listening), the default (connected), -a (all). */
export type StateSelection = 'all' | 'listening' | 'connected' | readonly SocketState[];

/**
 * Options of {@link listInetSockets}.
 * @example
 * await listInetSockets({ protocol: 'udp', family: 6, states: 'listening', processes: false });
 */
export interface ListInetSocketsOptions {
  /** Which sockets to list: 'tcp', 'udp' or 'udplite'. */
  protocol: 'tcp' | 'udp' | 'udplite';
  /** 4, 6, or both (default). */
  family?: 4 | 6 | 'both';
  /**
   * 'all' (default); 'listening': LISTEN and CLOSE (unconnected UDP), as `ss -l`; 'connected':
   * everything but LISTEN, CLOSE, TIME-WAIT and SYN-RECV, as ss without -l / -a; or a list.
   */
  states?: StateSelection;
  /** Walk /proc/PID/fd to find each socket's holders. Default true. */
  processes?: boolean;
  /** Where procfs is (default '/proc'); the owner walk reads <procRoot>/PID/fd. */
  procRoot?: string;
  /** Netlink answer timeout (default 5000 ms). */
  timeoutMs?: number;
}

const PROTOCOLS = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, udplite: IPPROTO_UDPLITE } as const;
const INET_LIST_OPTIONS = ['protocol', 'family', 'states', 'processes', 'procRoot', 'timeoutMs'];
const ALL_STATES = 0x3ffe; // states 1..13
const bit = (name: SocketState) => 1 << stateNumber(name);

/**
 * The idiag_states bitmask for a selection: bit n set asks the kernel for sockets in state n.
 * @example stateMask(['LISTEN']) // 0x400 (1 << 10)
 */
export function stateMask(states: StateSelection): number {
  if (states === 'all') return ALL_STATES;
  if (states === 'listening') return bit('LISTEN') | bit('CLOSE');
  if (states === 'connected') {
    return ALL_STATES & ~(bit('LISTEN') | bit('CLOSE') | bit('TIME-WAIT') | bit('SYN-RECV'));
  }
  if (!Array.isArray(states)) throw invalidArgValue('options.states', 'is not a state selection', states);
  let mask = 0;
  for (const name of states) {
    const n = stateNumber(name);
    if (n < 1) throw invalidArgValue('options.states', `contains an unknown state '${name}'`, states);
    mask |= 1 << n;
  }
  return mask;
}

/**
 * TCP, UDP or UDP-Lite sockets in the caller's network namespace (inet_diag), with their
 * holders, and for TCP the congestion algorithm and tcp_info.
 * @example
 * const { sockets } = await listInetSockets({ protocol: 'tcp', states: 'connected' });
 * for (const s of sockets) console.log(`${s.localAddress}:${s.localPort}`, s.congestion);
 */
export async function listInetSockets(options: ListInetSocketsOptions): Promise<SocketList<InetSocketEntry>> {
  const o = checkOptions(
    'options',
    options,
    INET_LIST_OPTIONS,
    'listInetSockets()',
  ) as unknown as ListInetSocketsOptions;
  const protocol = PROTOCOLS[checkOneOf('options.protocol', o.protocol, ['tcp', 'udp', 'udplite'])];
  const family = checkOneOf('options.family', o.family ?? 'both', [4, 6, 'both']);
  const states = stateMask(o.states ?? 'all');
  const extensions =
    protocol === IPPROTO_TCP ? [INET_DIAG_INFO, INET_DIAG_VEGASINFO, INET_DIAG_CONG, INET_DIAG_SHUTDOWN] : [];
  extensions.push(INET_DIAG_SKMEMINFO);
  const records: InetDiagRecord[] = [];
  for (const f of family === 'both' ? [AF_INET, AF_INET6] : family === 4 ? [AF_INET] : [AF_INET6]) {
    const payloads = await sockDiagDump(
      inetDiagRequest({ family: f as typeof AF_INET, protocol, states, extensions }),
      { timeoutMs: o.timeoutMs },
    );
    for (const payload of payloads) records.push(parseInetDiagMessage(payload, protocol));
  }
  const { scan, summary } = await owners(
    o.processes !== false,
    o.procRoot ?? '/proc',
    records.map((r) => r.inode).filter((inode) => inode !== '0'),
  );
  const nameOf = interfaceNamer();
  const sockets = records.map((r): InetSocketEntry => {
    const socket: InetSocketEntry = {
      protocol: o.protocol,
      family: r.family,
      state: stateName(r.state) ?? 'CLOSE',
      localAddress: r.localAddress,
      localPort: r.localPort,
      peerAddress: r.peerAddress,
      peerPort: r.peerPort,
      interfaceIndex: r.interfaceIndex,
      interfaceName: nameOf(r.interfaceIndex),
      receiveQueue: r.receiveQueue,
      sendQueue: r.sendQueue,
      uid: r.uid,
      inode: r.inode,
      // Mini sockets (TIME-WAIT, SYN-RECV) have inode 0: no process holds them, and that is complete.
      ...(r.inode === '0' ? { processes: [], processesComplete: scan !== undefined } : ownership(scan, r.inode)),
    };
    if (r.v6only !== undefined) socket.v6only = r.v6only;
    if (r.congestion !== undefined) socket.congestion = r.congestion;
    if (r.tcpInfo !== undefined) socket.tcpInfo = r.tcpInfo;
    if (r.shutdown !== undefined) socket.shutdown = r.shutdown;
    if (r.memory !== undefined) socket.memory = r.memory;
    if (r.bbr !== undefined) socket.bbr = r.bbr;
    return socket;
  });
  return { sockets, source: 'netlink', processes: summary };
}
