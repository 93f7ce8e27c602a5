// The options of UdpSocket.create() and of each send, with their checks (TypeError / RangeError
// with Node's codes, before any system call).
import { checkCoalesce } from '../core/coalesce.js';
import { checkFamilyOptions, checkTtl, type InetSocketOptions } from '../core/inet-base.js';
import {
  checkBoolean,
  checkInteger,
  checkOneOf,
  checkOptions,
  checkString,
  invalidArgValue,
} from '../core/validate.js';

/**
 * Path MTU discovery (ip(7) IP_MTU_DISCOVER, ipv6(7) IPV6_MTU_DISCOVER):
 * - 'do': set Don't Fragment; a datagram larger than the known path MTU fails with EMSGSIZE.
 * - 'dont': never set DF; the kernel fragments.
 * - 'want': the kernel's usual default: DF unless the route's MTU was learned smaller, then fragment.
 * - 'probe': set DF but ignore the learned path MTU (send up to the interface MTU), for probing.
 */
export type MtuDiscovery = 'do' | 'dont' | 'want' | 'probe';

const MAX_COALESCE_MS = 1000;

/** The values of IP_PMTUDISC_* / IPV6_PMTUDISC_* (the same numbers in both). */
export const MTU_DISCOVERY: Readonly<Record<MtuDiscovery, number>> = { dont: 0, want: 1, do: 2, probe: 3 };

/**
 * Options of {@link UdpSocket.create}.
 * @example UdpSocket.create({ family: 4, receivePacketInfo: true, receiveTtl: true, receiveBufferSize: 4 << 20 })
 */
export interface UdpSocketOptions extends InetSocketOptions {
  /** 4 for IPv4 (AF_INET), 6 for IPv6 (AF_INET6). */
  family: 4 | 6;
  /** IPv6 only: refuse IPv4-mapped traffic (IPV6_V6ONLY). Default: the system's setting. */
  ipv6Only?: boolean;
  /** SO_REUSEADDR before bind. Default false. */
  reuseAddress?: boolean;
  /** SO_REUSEPORT before bind: several sockets share the port, the kernel spreads datagrams. Default false. */
  reusePort?: boolean;
  /**
   * Send and receive only through this interface (SO_BINDTODEVICE, socket(7)): datagrams that
   * arrive on any other are not delivered to this socket, and sends leave through it.
   */
  bindToDevice?: string;
  /**
   * Report where each datagram arrived: `localAddress` and `interfaceIndex` (IP_PKTINFO,
   * IPV6_RECVPKTINFO). Default false.
   */
  receivePacketInfo?: boolean;
  /** Report each datagram's TTL / hop limit as `ttl` (IP_RECVTTL, IPV6_RECVHOPLIMIT). Default false. */
  receiveTtl?: boolean;
  /** Report each datagram's TOS byte / traffic class as `tos` (IP_RECVTOS, IPV6_RECVTCLASS). Default false. */
  receiveTos?: boolean;
  /** Report the kernel's receive time as `receivedAt` (SO_TIMESTAMPNS). Default false. */
  receiveTimestamps?: boolean;
  /** TTL / hop limit of sent datagrams (IP_TTL, IPV6_UNICAST_HOPS), 1..255. */
  ttl?: number;
  /** TOS byte / traffic class of sent datagrams (IP_TOS, IPV6_TCLASS), 0..255. */
  tos?: number;
  /** Path MTU discovery mode of sent datagrams (IP_MTU_DISCOVER, IPV6_MTU_DISCOVER). */
  mtuDiscovery?: MtuDiscovery;
  /**
   * Segmentation offload for every send (UDP_SEGMENT, Linux 4.18): a send of more than this
   * many bytes leaves as datagrams of this size (the last one shorter), cut by the kernel or the
   * network card. 0 (default): off. A send can also ask for it on its own (send options).
   */
  segmentSize?: number;
  /**
   * Receive offload (UDP_GRO, Linux 5.0): the kernel may hand over several datagrams of one flow
   * in one read, with their segment size; they are split back into datagrams unless
   * `keepCoalesced`. Each reports `segmentSize`. Default false.
   */
  gro?: boolean;
  /** With `gro`: deliver a coalesced read as one message (`data` of several datagrams, `segmentSize`). Default false. */
  keepCoalesced?: boolean;
  /**
   * Receive coalescing (default 'auto'), as on UdpLiteSocket: a number of milliseconds to wait
   * after a read that emptied the kernel's queue before reading again, so that under load
   * datagrams are read many at a time (far less CPU per datagram, up to this much added delay);
   * 0: off; 'auto': 1 ms, only after a wake-up that found more than one datagram. Size the
   * receive buffer to hold the rest's traffic.
   */
  coalesceMs?: number | 'auto';
}

/**
 * Where and how one datagram is sent: the destination (unless the socket is connected), and what
 * node:dgram cannot choose per datagram: source address, interface, TTL, TOS, GSO segment size.
 * @example socket.send(reply, { port: 53, address: '192.0.2.7', source: '192.0.2.1' })
 */
export interface UdpSendOptions {
  /** Destination port (1..65535); omit on a connected socket. */
  port?: number;
  /** Destination address (default: loopback when a port is given). */
  address?: string;
  /**
   * Source address: one of this host's addresses (IP_PKTINFO ipi_spec_dst, IPV6_PKTINFO
   * ipi6_addr). Otherwise the kernel picks it from the route; EINVAL when it is not local.
   */
  source?: string;
  /** Outgoing interface, by name or index (IP_PKTINFO ipi_ifindex, IPV6_PKTINFO ipi6_ifindex). */
  interface?: string | number;
  /** TTL / hop limit of this datagram (an IP_TTL / IPV6_HOPLIMIT control message), 1..255. */
  ttl?: number;
  /** TOS byte / traffic class of this datagram (IP_TOS / IPV6_TCLASS control message), 0..255. */
  tos?: number;
  /** Cut this send into datagrams of this many bytes (a UDP_SEGMENT control message, GSO), 1..65535. */
  segmentSize?: number;
}

/** One datagram of {@link UdpSocket.sendBatch}: its bytes and its {@link UdpSendOptions}. */
export interface UdpDatagram extends UdpSendOptions {
  /** The payload (a string is sent as UTF-8). */
  data: Uint8Array | string;
}

/** Every option UdpSocket.create() knows: any other key is refused (a misspelling is an error). */
const CREATE_OPTIONS = [
  'family',
  'receiveBufferSize',
  'sendBufferSize',
  'maxDatagramSize',
  'batchSize',
  'ipv6Only',
  'reuseAddress',
  'reusePort',
  'bindToDevice',
  'receivePacketInfo',
  'receiveTtl',
  'receiveTos',
  'receiveTimestamps',
  'ttl',
  'tos',
  'mtuDiscovery',
  'segmentSize',
  'gro',
  'keepCoalesced',
  'coalesceMs',
] as const;
const SEND_OPTIONS = ['port', 'address', 'source', 'interface', 'ttl', 'tos', 'segmentSize'] as const;
const DATAGRAM_KEYS = ['data', ...SEND_OPTIONS] as const;
const BOOLEAN_OPTIONS = [
  'reuseAddress',
  'reusePort',
  'receivePacketInfo',
  'receiveTtl',
  'receiveTos',
  'receiveTimestamps',
  'gro',
  'keepCoalesced',
] as const;

/** A TOS byte / traffic class, 0..255. */
export function checkByte(name: string, value: unknown): number {
  return checkInteger(name, value, 0, 255);
}

/** A GSO segment size, `min`..65535 (UDP_SEGMENT takes a u16). */
export function checkSegmentSize(name: string, value: unknown, min: number): number {
  return checkInteger(name, value, min, 65535);
}

export function checkMtuDiscovery(name: string, value: unknown): MtuDiscovery {
  return checkOneOf(name, value, Object.keys(MTU_DISCOVERY) as MtuDiscovery[]);
}

export function checkInterfaceName(name: string, value: unknown): string {
  checkString(name, value);
  const text = value as string;
  // IFNAMSIZ is 16 with the terminating NUL (netdevice(7)).
  if (Buffer.byteLength(text) > 15 || text.includes('\0')) {
    throw invalidArgValue(name, 'must be an interface name of at most 15 bytes', value);
  }
  return text;
}

/** Checks UdpSocketOptions (before any system call). */
export function checkUdpOptions(options: unknown): UdpSocketOptions {
  const o = checkFamilyOptions(checkOptions('options', options, CREATE_OPTIONS, 'UdpSocket.create()'));
  for (const key of BOOLEAN_OPTIONS) if (o[key] !== undefined) checkBoolean(`options.${key}`, o[key]);
  if (o.ipv6Only !== undefined) {
    checkBoolean('options.ipv6Only', o.ipv6Only);
    if (o.family !== 6) throw invalidArgValue('options.ipv6Only', 'applies to family 6 only', o.ipv6Only);
  }
  if (o.keepCoalesced && !o.gro) throw invalidArgValue('options.keepCoalesced', 'needs gro: true', o.keepCoalesced);
  if (o.bindToDevice !== undefined) checkInterfaceName('options.bindToDevice', o.bindToDevice);
  if (o.ttl !== undefined) checkTtl('options.ttl', o.ttl);
  if (o.tos !== undefined) checkByte('options.tos', o.tos);
  if (o.mtuDiscovery !== undefined) checkMtuDiscovery('options.mtuDiscovery', o.mtuDiscovery);
  if (o.segmentSize !== undefined) checkSegmentSize('options.segmentSize', o.segmentSize, 0);
  checkCoalesce('options.coalesceMs', o.coalesceMs, MAX_COALESCE_MS);
  return o as unknown as UdpSocketOptions;
}

/**
 * Checks one send's options (`withData`: a sendBatch entry, which also holds `data`); `name`
 * prefixes the error's argument name.
 */
export function checkSendOptions(options: unknown, name: string, withData = false): UdpSendOptions {
  const o = checkOptions(name, options, withData ? DATAGRAM_KEYS : SEND_OPTIONS, withData ? 'sendBatch()' : 'send()');
  if (o.port !== undefined) checkInteger(`${name}.port`, o.port, 1, 65535);
  if (o.address !== undefined) checkString(`${name}.address`, o.address);
  if (o.address !== undefined && o.port === undefined) {
    throw invalidArgValue(`${name}.address`, 'needs a port', o.address);
  }
  if (o.source !== undefined) checkString(`${name}.source`, o.source);
  if (o.interface !== undefined) {
    if (typeof o.interface === 'number') checkInteger(`${name}.interface`, o.interface, 1, 2 ** 31 - 1);
    else checkInterfaceName(`${name}.interface`, o.interface);
  }
  if (o.ttl !== undefined) checkTtl(`${name}.ttl`, o.ttl);
  if (o.tos !== undefined) checkByte(`${name}.tos`, o.tos);
  if (o.segmentSize !== undefined) checkSegmentSize(`${name}.segmentSize`, o.segmentSize, 1);
  return o as UdpSendOptions;
}
