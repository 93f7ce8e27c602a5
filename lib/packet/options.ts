// Options of PacketSocket.create(), checked and resolved before any socket exists, so a mistake
// fails with a clear error and nothing is ever received under half-applied settings.
import {
  checkBoolean,
  checkBufferSize,
  checkInteger,
  checkOneOf,
  checkOptions,
  optionalBoolean,
  optionalInteger,
} from '../core/validate.js';
import { ETHERTYPES } from '../decode/ethertypes.js';
import { explain, hasCode, invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import { constants, native } from '../native.js';
import { DEFAULT_SNAPLEN } from '../pcap/format.js';
import { checkFanout, type FanoutOptions } from './fanout.js';
import { checkProgram, type FilterProgram } from './filter.js';
import { checkMulticastList } from './membership.js';

/**
 * - `raw` (SOCK_RAW): packets start with the link-layer header (the Ethernet header on Ethernet,
 *   veth and loopback); sends take whole frames.
 * - `cooked` (SOCK_DGRAM): the kernel removes the link-layer header; packets start with the
 *   network header and the link-layer facts come as metadata (protocol, source address).
 */
export type PacketSocketMode = 'raw' | 'cooked';

/** EtherType names accepted for `protocol` (values from rawsock's one table, ETHERTYPES). */
export const PROTOCOLS = Object.freeze({
  /** ETH_P_ALL: every protocol, outgoing packets included. */
  all: ETHERTYPES.all,
  /** ETH_P_IP: IPv4. */
  ip: ETHERTYPES.ipv4,
  /** ETH_P_IP: IPv4 (the same as `ip`). */
  ipv4: ETHERTYPES.ipv4,
  /** ETH_P_ARP. */
  arp: ETHERTYPES.arp,
  /** ETH_P_8021Q: frames whose 802.1Q tag is still in the frame. */
  vlan: ETHERTYPES.vlan,
  /** ETH_P_IPV6. */
  ipv6: ETHERTYPES.ipv6,
  /** ETH_P_8021AD: 802.1ad service-tagged frames. */
  qinq: ETHERTYPES.qinq,
  /** ETH_P_LLDP: Link Layer Discovery Protocol. */
  lldp: ETHERTYPES.lldp,
});

/** A protocol name the `protocol` option accepts: a key of {@link PROTOCOLS}. */
export type ProtocolName = keyof typeof PROTOCOLS;

/**
 * TPACKET_V3 ring geometry (Documentation/networking/packet_mmap.rst). The kernel fills one
 * block at a time with variable-sized packets and hands it over when it is full or when
 * `retireTimeoutMs` has passed since it was opened; each handed-over block reaches JS as one batch.
 * @example PacketSocket.create({ interface: 'eth0', ring: { blockSize: 4 << 20, blockCount: 16, retireTimeoutMs: 2 } })
 */
export interface RingOptions {
  /** Bytes per block, a multiple of the page size (default 1 MiB: thousands of small packets per batch). */
  blockSize?: number;
  /** Blocks in the ring (default 8: 8 MiB absorbs a GC pause of tens of ms at a million packets/s). */
  blockCount?: number;
  /** The kernel's frame_size bookkeeping unit, a multiple of 16 dividing blockSize (default 2048). */
  frameSize?: number;
  /**
   * A block that has packets is handed over at the latest this long after it was opened
   * (tp_retire_blk_tov, default 10 ms): the worst-case delivery latency at low rates. Each
   * handed-over block is taken whole, however few packets it holds, so a reader whose event loop
   * stalls for longer than blockCount × retireTimeoutMs can lose packets even at a low rate: give
   * a short timeout many (smaller) blocks.
   */
  retireTimeoutMs?: number;
  /** Most blocks copied into one batch when several are ready (default 4). */
  batchBlocks?: number;
  /**
   * Copy every batch into the same memory instead of memory of its own (default false). A batch's
   * own memory is recycled only once the garbage collector has collected every view of it, so a
   * loop that allocates little (`batches()`) keeps taking fresh pages; reusing one buffer costs
   * about half as much per packet on bench/capture. The contract changes for 'batch' listeners
   * only: a batch and the views from its `buffer` / `data(i)` are valid until the listener
   * returns; call `batch.copy()` to keep one. Packet objects, 'packet' events and loops always get
   * their own memory.
   */
  reuseBatchMemory?: boolean;
}

/**
 * Options of {@link PacketSocket.create}.
 * @example
 * PacketSocket.create({
 *   mode: 'raw',
 *   interface: 'eth0',
 *   filter: bpf.compile('arp or icmp'),
 *   promiscuous: true,
 *   snapLength: 128,
 * });
 */
export interface PacketSocketOptions {
  /** 'raw' (default; SOCK_RAW, link header included) or 'cooked' (SOCK_DGRAM). */
  mode?: PacketSocketMode;
  /**
   * Which EtherType to receive: a number (host order, 1..0xffff) or a name from PROTOCOLS.
   * Default 'all' (ETH_P_ALL).
   */
  protocol?: number | ProtocolName;
  /** An interface name ('eth0') or index; default: every interface. */
  interface?: string | number;
  /**
   * A classic BPF program (lib/bpf, or `tcpdump -dd` parsed with parseTcpdump). It is attached
   * before the socket is bound, so no packet it rejects is ever received. Offsets are relative to
   * the link header in 'raw' mode and to the network header in 'cooked' mode.
   */
  filter?: FilterProgram;
  /** SO_LOCK_FILTER right after attaching: the program can never be changed or removed. */
  lockFilter?: boolean;
  /**
   * Receive frames addressed to other hosts too, through a per-socket membership
   * (PACKET_ADD_MEMBERSHIP / PACKET_MR_PROMISC, reference counted and undone on close); the
   * interface's own IFF_PROMISC flag is never touched. Needs `interface`.
   */
  promiscuous?: boolean;
  /**
   * Multicast MACs to receive frames for ('01:00:5e:00:00:fb', …), each through a per-socket
   * membership (PACKET_ADD_MEMBERSHIP / PACKET_MR_MULTICAST): the device adds them to its
   * multicast filter while the socket holds them (reference counted, undone on close). Devices
   * that filter multicast (NICs, macvlan) deliver those frames only then. Needs `interface`.
   * More later with addMembership() / dropMembership().
   */
  multicast?: (string | Uint8Array)[];
  /**
   * Receive every multicast frame (PACKET_MR_ALLMULTI, per socket, reference counted as the
   * device's allmulti count, undone on close; the IFF_ALLMULTI flag is never set by hand).
   * Needs `interface`.
   */
  allMulticast?: boolean;
  /**
   * Do not receive the packets this host sends (PACKET_IGNORE_OUTGOING, Linux >= 4.20; for fanout
   * members PACKET_FANOUT_FLAG_IGNORE_OUTGOING). On `lo` every packet is otherwise seen twice:
   * once outgoing, once incoming.
   */
  ignoreOutgoing?: boolean;
  /** Most bytes kept per packet (default 262144, libpcap's maximum); `originalLength` keeps the real size. */
  snapLength?: number;
  /**
   * The TPACKET_V3 receive ring: `true` (default) with the default geometry, an object to choose
   * it, or `false` for recvmmsg. When the default ring cannot be set up (e.g. locked-memory
   * limits) the socket falls back to recvmmsg; an explicit geometry that fails throws.
   */
  ring?: boolean | RingOptions;
  /** SO_RCVBUF for the recvmmsg path (bytes; the kernel doubles it; SO_RCVBUFFORCE when allowed). */
  receiveBufferSize?: number;
  /** SO_SNDBUF in bytes (SO_SNDBUFFORCE when allowed): how much send() may have queued. */
  sendBufferSize?: number;
  /** Join a PACKET_FANOUT group to share the traffic with other sockets (other threads or processes). */
  fanout?: FanoutOptions;
}

/** Options after checking: what PacketSocket applies, in order. */
export interface ResolvedOptions {
  mode: PacketSocketMode;
  type: number;
  protocol: number;
  interfaceIndex: number;
  interfaceName: string | null;
  filter: FilterProgram | null;
  lockFilter: boolean;
  promiscuous: boolean;
  multicast: Buffer[];
  allMulticast: boolean;
  ignoreOutgoing: boolean;
  snapLength: number;
  ring: Required<RingOptions> | null;
  ringExplicit: boolean;
  receiveBufferSize: number | null;
  sendBufferSize: number | null;
  fanout: Required<FanoutOptions> | null;
}

export { DEFAULT_SNAPLEN };

/**
 * The ring geometry used when `ring` is true or absent: 8 blocks of 1 MiB, 2048-byte frames, a
 * 10 ms retire timeout, at most 4 blocks per batch.
 * @example PacketSocket.create({ ring: { ...DEFAULT_RING, blockCount: 32 } })
 */
export const DEFAULT_RING: Readonly<Required<RingOptions>> = Object.freeze({
  blockSize: 1 << 20,
  blockCount: 8,
  frameSize: 2048,
  retireTimeoutMs: 10,
  batchBlocks: 4,
  reuseBatchMemory: false,
});

const RING_OPTION_NAMES = Object.keys(DEFAULT_RING);

/** An EtherType from a number or a name, host order. */
export function resolveProtocol(value: unknown, name = 'protocol'): number {
  if (value === undefined) return PROTOCOLS.all;
  if (typeof value === 'string') {
    // Own keys only: 'constructor' or '__proto__' would otherwise reach Object.prototype.
    const key = value.toLowerCase();
    if (!Object.hasOwn(PROTOCOLS, key)) {
      throw invalidArgValue(name, `must be an EtherType number or one of ${Object.keys(PROTOCOLS).join(', ')}`, value);
    }
    return PROTOCOLS[key as ProtocolName];
  }
  if (typeof value !== 'number') throw invalidArgType(name, 'a number or a protocol name', value);
  // packet(7): protocol 0 means "receive nothing", which is never what a caller asks for.
  return checkInteger(name, value, 1, 0xffff);
}

/** IFNAMSIZ: an interface name is at most 15 bytes plus its terminating NUL. */
const IFNAMSIZ = 16;

/** Checks an interface name the way the kernel reads it: a C string of 1..IFNAMSIZ-1 bytes. */
function checkInterfaceName(value: string): string {
  // C would stop at the NUL: 'lo\0junk' would bind to lo and be reported under the whole name.
  if (value.includes('\0')) throw invalidArgValue('interface', 'must not contain NUL bytes', value);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < 1 || bytes > IFNAMSIZ - 1) throw outOfRange('interface', `1 to ${IFNAMSIZ - 1} bytes long`, value);
  return value;
}

/** Interface index and name from a name or an index; 0/null for every interface. */
export function resolveInterface(value: unknown): { index: number; name: string | null } {
  if (value === undefined || value === null) return { index: 0, name: null };
  if (typeof value === 'string') checkInterfaceName(value);
  try {
    if (typeof value === 'string') return { index: native.ifNameToIndex(value), name: value };
    if (typeof value === 'number') {
      checkInteger('interface', value, 1, 0x7fffffff);
      return { index: value, name: native.ifIndexToName(value) };
    }
  } catch (error) {
    if (hasCode(error, 'ENODEV') || hasCode(error, 'ENXIO')) {
      throw explain(error, `no interface ${JSON.stringify(value)} in this network namespace`);
    }
    throw error;
  }
  throw invalidArgType('interface', 'an interface name or index', value);
}

function resolveRing(value: unknown): { ring: Required<RingOptions> | null; explicit: boolean } {
  if (value === undefined || value === true) return { ring: { ...DEFAULT_RING }, explicit: false };
  if (value === false) return { ring: null, explicit: false };
  if (value === null || typeof value !== 'object') throw invalidArgType('ring', 'a boolean or ring options', value);
  const options = checkOptions('ring', value, RING_OPTION_NAMES, 'PacketSocket ring') as RingOptions;
  const page = native.packet.pageSize;
  const ring = {
    blockSize: options.blockSize ?? DEFAULT_RING.blockSize,
    blockCount: options.blockCount ?? DEFAULT_RING.blockCount,
    frameSize: options.frameSize ?? DEFAULT_RING.frameSize,
    retireTimeoutMs: options.retireTimeoutMs ?? DEFAULT_RING.retireTimeoutMs,
    batchBlocks: options.batchBlocks ?? DEFAULT_RING.batchBlocks,
    reuseBatchMemory: options.reuseBatchMemory ?? DEFAULT_RING.reuseBatchMemory,
  };
  checkBoolean('ring.reuseBatchMemory', ring.reuseBatchMemory);
  checkInteger('ring.blockSize', ring.blockSize, page, 1 << 30);
  if (ring.blockSize % page !== 0)
    throw outOfRange('ring.blockSize', `a multiple of the page size (${page})`, ring.blockSize);
  checkInteger('ring.blockCount', ring.blockCount, 1, 65536);
  checkInteger('ring.frameSize', ring.frameSize, 16, ring.blockSize);
  if (ring.frameSize % 16 !== 0 || ring.blockSize % ring.frameSize !== 0) {
    throw outOfRange('ring.frameSize', 'a multiple of 16 that divides blockSize', ring.frameSize);
  }
  checkInteger('ring.retireTimeoutMs', ring.retireTimeoutMs, 1, 60000);
  checkInteger('ring.batchBlocks', ring.batchBlocks, 1, 64);
  if (ring.blockSize * ring.blockCount > 2 ** 32) {
    throw outOfRange('ring', 'blockSize * blockCount <= 4 GiB', ring.blockSize * ring.blockCount);
  }
  if (ring.blockSize * ring.batchBlocks > 2 ** 31) {
    throw outOfRange('ring.batchBlocks', 'small enough that blockSize * batchBlocks <= 2 GiB', ring.batchBlocks);
  }
  return { ring, explicit: true };
}

const OPTION_NAMES = [
  'mode',
  'protocol',
  'interface',
  'filter',
  'lockFilter',
  'promiscuous',
  'multicast',
  'allMulticast',
  'ignoreOutgoing',
  'snapLength',
  'ring',
  'receiveBufferSize',
  'sendBufferSize',
  'fanout',
];

/** Checks every option and looks the interface up; throws before anything is created. */
export function resolveOptions(value: unknown): ResolvedOptions {
  const options = checkOptions('options', value, OPTION_NAMES, 'PacketSocket.create()', true) as PacketSocketOptions;
  const mode = checkOneOf('mode', options.mode ?? 'raw', ['raw', 'cooked']);
  const protocol = resolveProtocol(options.protocol);
  const filter = options.filter === undefined ? null : checkProgram(options.filter);
  const lockFilter = optionalBoolean('lockFilter', options.lockFilter);
  if (lockFilter && filter === null) throw invalidArgValue('lockFilter', 'needs a filter to lock', lockFilter);
  const promiscuous = optionalBoolean('promiscuous', options.promiscuous);
  const ignoreOutgoing = optionalBoolean('ignoreOutgoing', options.ignoreOutgoing);
  const snapLength = optionalInteger('snapLength', options.snapLength, DEFAULT_SNAPLEN, 1, 0x7fffffff);
  const { ring, explicit } = resolveRing(options.ring);
  const receiveBufferSize =
    options.receiveBufferSize === undefined ? null : checkBufferSize('receiveBufferSize', options.receiveBufferSize);
  const sendBufferSize =
    options.sendBufferSize === undefined ? null : checkBufferSize('sendBufferSize', options.sendBufferSize);
  const fanout = options.fanout === undefined ? null : checkFanout(options.fanout);
  const { index, name } = resolveInterface(options.interface);
  if (promiscuous && index === 0) {
    throw invalidArgValue('promiscuous', 'needs an interface (membership is per interface)', promiscuous);
  }
  const multicast = checkMulticastList(options.multicast);
  if (multicast.length > 0 && index === 0) {
    throw invalidArgValue('multicast', 'needs an interface (membership is per interface)', options.multicast);
  }
  const allMulticast = optionalBoolean('allMulticast', options.allMulticast);
  if (allMulticast && index === 0) {
    throw invalidArgValue('allMulticast', 'needs an interface (membership is per interface)', allMulticast);
  }
  return {
    mode,
    type: mode === 'raw' ? constants.SOCK_RAW : constants.SOCK_DGRAM,
    protocol,
    interfaceIndex: index,
    interfaceName: name,
    filter,
    lockFilter,
    promiscuous,
    multicast,
    allMulticast,
    ignoreOutgoing,
    snapLength,
    ring,
    ringExplicit: explicit,
    receiveBufferSize,
    sendBufferSize,
    fanout,
  };
}
