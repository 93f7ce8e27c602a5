// inet_diag (<linux/inet_diag.h>): the request for a dump of TCP, UDP or UDP-Lite sockets of one
// address family, and the parser for each answer. Pure functions over bytes.
import { formatIPv4, formatIPv6 } from '../decode/address.js';
import { constants } from '../native.js';
import {
  attributeMap,
  attributeString,
  attributeU8,
  DiagParseError,
  LITTLE_ENDIAN,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  u32Array,
  viewOf,
} from './netlink.js';
import { SOCK_DIAG_BY_FAMILY } from './packet-diag.js';

// The socket-API numbers from the addon's constants (the system headers), not literals.
export const { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE } = constants as Record<string, number>;

/** Attribute types of an answer; extension bit (1 << (type - 1)) asks for the first eight. */
export const INET_DIAG_MEMINFO = 1;
export const INET_DIAG_INFO = 2;
export const INET_DIAG_VEGASINFO = 3;
export const INET_DIAG_CONG = 4;
export const INET_DIAG_TOS = 5;
export const INET_DIAG_TCLASS = 6;
export const INET_DIAG_SKMEMINFO = 7;
export const INET_DIAG_SHUTDOWN = 8;
const INET_DIAG_PROTOCOL = 10;
const INET_DIAG_SKV6ONLY = 11;
/** Sent for BBR sockets when INET_DIAG_VEGASINFO is asked for. */
const INET_DIAG_BBRINFO = 16;

const REQUEST_SIZE = 56;
const MESSAGE_SIZE = 72;

export interface InetDiagQuery {
  family: typeof AF_INET | typeof AF_INET6;
  protocol: number;
  /** Bitmask of states, bit n = state n (1 << TCP_LISTEN ...). */
  states: number;
  /** INET_DIAG_* attributes wanted (numbers 1..8). */
  extensions: number[];
}

/** nlmsg type/flags and the inet_diag_req_v2 body of a dump request. */
export function inetDiagRequest(query: InetDiagQuery): { type: number; flags: number; body: Uint8Array } {
  const body = new Uint8Array(REQUEST_SIZE);
  const view = viewOf(body);
  body[0] = query.family;
  body[1] = query.protocol;
  let ext = 0;
  for (const attribute of query.extensions) {
    if (attribute < 1 || attribute > 8) throw new RangeError(`inet_diag: extension ${attribute} cannot be requested`);
    ext |= 1 << (attribute - 1);
  }
  body[2] = ext;
  view.setUint32(4, query.states >>> 0, LITTLE_ENDIAN);
  // id: all zero matches anything in a dump; the cookie says "no cookie".
  view.setUint32(48, 0xffffffff, LITTLE_ENDIAN);
  view.setUint32(52, 0xffffffff, LITTLE_ENDIAN);
  return { type: SOCK_DIAG_BY_FAMILY, flags: NLM_F_REQUEST | NLM_F_DUMP, body };
}

/**
 * The part of struct tcp_info (tcp(7), <linux/tcp.h>) that ss -i prints: what getsockopt
 * TCP_INFO returns, read here through inet_diag (INET_DIAG_INFO).
 * @example
 * const { sockets } = await listInetSockets({ protocol: 'tcp', states: 'connected' });
 * for (const s of sockets) console.log(s.tcpInfo?.rtt, s.tcpInfo?.sendCwnd);
 */
export interface TcpInfo {
  /** TCP state number (tcpi_state): 1 ESTABLISHED … 10 LISTEN, as in <net/tcp_states.h>. */
  state: number;
  /** Congestion-avoidance state (tcpi_ca_state): 0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss. */
  caState: number;
  /** Retransmission timeouts in a row without progress (tcpi_retransmits). */
  retransmits: number;
  /** Unanswered zero-window or keepalive probes (tcpi_probes). */
  probes: number;
  /** How many times the retransmission timer has been doubled (tcpi_backoff). */
  backoff: number;
  /** TCPI_OPT_* bits: TIMESTAMPS 1, SACK 2, WSCALE 4, ECN 8, ECN_SEEN 16, SYN_DATA 32. */
  options: number;
  /** Window scale shift the peer announced, applied to the windows it sends (tcpi_snd_wscale). */
  sendWindowScale: number;
  /** Window scale shift this host announced (tcpi_rcv_wscale). */
  receiveWindowScale: number;
  /** The last delivery rate sample was limited by the application, not the network. */
  deliveryRateAppLimited: boolean;
  /** Retransmission timeout (tcpi_rto), microseconds. */
  rto: number;
  /** Delayed-ACK timeout (tcpi_ato), microseconds. */
  ato: number;
  /** Maximum segment size used for sending (tcpi_snd_mss), bytes. */
  sendMss: number;
  /** The kernel's estimate of the peer's segment size (tcpi_rcv_mss), bytes. */
  receiveMss: number;
  /** Segments sent and not yet acknowledged (tcpi_unacked); for a listener, the accept queue length. */
  unacked: number;
  /** Segments selectively acknowledged (tcpi_sacked); for a listener, the accept backlog. */
  sacked: number;
  /** Segments the kernel considers lost (tcpi_lost). */
  lost: number;
  /** Segments retransmitted and not yet acknowledged (tcpi_retrans). */
  retrans: number;
  /** Milliseconds since data was last sent (tcpi_last_data_sent). */
  lastDataSent: number;
  /** Milliseconds since data was last received (tcpi_last_data_recv). */
  lastDataReceived: number;
  /** Milliseconds since an ACK was last received (tcpi_last_ack_recv). */
  lastAckReceived: number;
  /** Path MTU (tcpi_pmtu), bytes. */
  pmtu: number;
  /** Current clamp on the advertised receive window (tcpi_rcv_ssthresh), bytes. */
  receiveSsthresh: number;
  /** Smoothed round-trip time (tcpi_rtt), microseconds. */
  rtt: number;
  /** Round-trip time mean deviation (tcpi_rttvar), microseconds. */
  rttVariance: number;
  /** Slow-start threshold (tcpi_snd_ssthresh), segments; 2147483647 while still in initial slow start. */
  sendSsthresh: number;
  /** Congestion window (tcpi_snd_cwnd), segments. */
  sendCwnd: number;
  /** Maximum segment size advertised to the peer (tcpi_advmss), bytes. */
  advmss: number;
  /** Reordering the kernel tolerates before it assumes a loss (tcpi_reordering), segments. */
  reordering: number;
  /** Round-trip time estimated on the receive side (tcpi_rcv_rtt), microseconds. */
  receiveRtt: number;
  /** Receive-buffer autotuning's estimate of what the peer sends per round trip (tcpi_rcv_space), bytes. */
  receiveSpace: number;
  /** Segments retransmitted over the connection's life (tcpi_total_retrans). */
  totalRetrans: number;
  /**
   * Pacing rate, bytes per second (tcpi_pacing_rate); undefined when unlimited (~0).
   *
   * This field and the ones after it were added by newer kernels: each is undefined when the
   * kernel's tcp_info is too short to hold it. 64-bit counters are numbers (exact below 2^53).
   */
  pacingRate?: number;
  /** Pacing rate cap set with SO_MAX_PACING_RATE, bytes per second; undefined when unlimited. */
  maxPacingRate?: number;
  /** Bytes the peer has acknowledged (tcpi_bytes_acked, RFC 4898 tcpEStatsAppHCThruOctetsAcked). */
  bytesAcked?: number;
  /** Bytes received and acknowledged (tcpi_bytes_received, RFC 4898 tcpEStatsAppHCThruOctetsReceived). */
  bytesReceived?: number;
  /** Segments sent, pure ACKs and retransmissions included (tcpi_segs_out). */
  segsOut?: number;
  /** Segments received, pure ACKs included (tcpi_segs_in). */
  segsIn?: number;
  /** Bytes the application has written that are not yet sent (tcpi_notsent_bytes). */
  notsentBytes?: number;
  /** Lowest round-trip time seen recently (tcpi_min_rtt), microseconds. */
  minRtt?: number;
  /** Segments received that carried data (tcpi_data_segs_in). */
  dataSegsIn?: number;
  /** Segments sent that carried data (tcpi_data_segs_out). */
  dataSegsOut?: number;
  /** Most recent delivery rate sample (tcpi_delivery_rate), bytes per second. */
  deliveryRate?: number;
  /** Time with data in flight (tcpi_busy_time), microseconds. */
  busyTime?: number;
  /** Segments delivered to the peer, retransmissions included (tcpi_delivered). */
  delivered?: number;
  /** Bytes sent, retransmissions included (tcpi_bytes_sent). */
  bytesSent?: number;
  /** Bytes retransmitted (tcpi_bytes_retrans). */
  bytesRetrans?: number;
  /** The peer's advertised receive window, scaled (tcpi_snd_wnd), bytes. */
  sendWindow?: number;
}

/** Parses as much of tcp_info as the kernel sent (older kernels send a shorter struct). */
export function parseTcpInfo(value: Uint8Array): TcpInfo {
  if (value.length < 104) throw new DiagParseError(`inet_diag: tcp_info of ${value.length} bytes, needs 104`);
  const view = viewOf(value);
  const u32 = (at: number) => view.getUint32(at, LITTLE_ENDIAN);
  const has = (at: number, size: number) => at + size <= value.length;
  const u32At = (at: number) => (has(at, 4) ? u32(at) : undefined);
  const u64At = (at: number) => (has(at, 8) ? Number(view.getBigUint64(at, LITTLE_ENDIAN)) : undefined);
  const rateAt = (at: number) => {
    if (!has(at, 8)) return undefined;
    const rate = view.getBigUint64(at, LITTLE_ENDIAN);
    return rate === 0xffffffffffffffffn ? undefined : Number(rate);
  };
  return {
    state: value[0],
    caState: value[1],
    retransmits: value[2],
    probes: value[3],
    backoff: value[4],
    options: value[5],
    // Two 4-bit fields in one byte: the first declared takes the low bits (little-endian ABI).
    sendWindowScale: LITTLE_ENDIAN ? value[6] & 0xf : value[6] >> 4,
    receiveWindowScale: LITTLE_ENDIAN ? value[6] >> 4 : value[6] & 0xf,
    deliveryRateAppLimited: (LITTLE_ENDIAN ? value[7] & 0x1 : value[7] & 0x80) !== 0,
    rto: u32(8),
    ato: u32(12),
    sendMss: u32(16),
    receiveMss: u32(20),
    unacked: u32(24),
    sacked: u32(28),
    lost: u32(32),
    retrans: u32(36),
    lastDataSent: u32(44),
    lastDataReceived: u32(52),
    lastAckReceived: u32(56),
    pmtu: u32(60),
    receiveSsthresh: u32(64),
    rtt: u32(68),
    rttVariance: u32(72),
    sendSsthresh: u32(76),
    sendCwnd: u32(80),
    advmss: u32(84),
    reordering: u32(88),
    receiveRtt: u32(92),
    receiveSpace: u32(96),
    totalRetrans: u32(100),
    pacingRate: rateAt(104),
    maxPacingRate: rateAt(112),
    bytesAcked: u64At(120),
    bytesReceived: u64At(128),
    segsOut: u32At(136),
    segsIn: u32At(140),
    notsentBytes: u32At(144),
    minRtt: u32At(148),
    dataSegsIn: u32At(152),
    dataSegsOut: u32At(156),
    deliveryRate: u64At(160),
    busyTime: u64At(168),
    delivered: u32At(192),
    bytesSent: u64At(200),
    bytesRetrans: u64At(208),
    sendWindow: u32At(228),
  };
}

/** What inet_diag reports about one socket. */
export interface InetDiagRecord {
  family: 4 | 6;
  /** IPPROTO_* of the socket (INET_DIAG_PROTOCOL when the kernel sends it, else the one asked for). */
  protocol: number;
  /** Kernel state number (TCP states; UDP: 1 connected, 7 unconnected). */
  state: number;
  localAddress: string;
  localPort: number;
  peerAddress: string;
  peerPort: number;
  /** SO_BINDTODEVICE interface, 0 = none. */
  interfaceIndex: number;
  cookie: string;
  /** TCP: which timer is pending (0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe). */
  timer: number;
  retransmits: number;
  expiresMs: number;
  /** TCP listeners: accept queue length; otherwise bytes queued for reading. */
  receiveQueue: number;
  /** TCP listeners: accept queue limit; otherwise bytes queued for sending. */
  sendQueue: number;
  uid: number;
  /** 0 for TIME-WAIT and SYN-RECV mini sockets, which no process holds. */
  inode: string;
  v6only?: boolean;
  congestion?: string;
  tcpInfo?: TcpInfo;
  /** SHUT_RD 1 | SHUT_WR 2 as the kernel recorded it. */
  shutdown?: number;
  /** SK_MEMINFO_* values (INET_DIAG_SKMEMINFO). */
  memory?: number[];
  /** BBR's model (struct tcp_bbr_info), for sockets using bbr. */
  bbr?: BbrInfo;
}

/** struct tcp_bbr_info. */
export interface BbrInfo {
  /** Estimated bottleneck bandwidth, bytes per second. */
  bandwidth: number;
  /** Minimum RTT, microseconds. */
  minRtt: number;
  /** Pacing gain as a multiplier (the kernel sends it shifted left by 8). */
  pacingGain: number;
  /** Congestion window gain as a multiplier (the kernel sends it shifted left by 8). */
  cwndGain: number;
}

function address(bytes: Uint8Array, family: 4 | 6): string {
  return family === 4 ? formatIPv4(bytes, 0) : formatIPv6(bytes, 0);
}

/** Parses one SOCK_DIAG_BY_FAMILY answer (inet_diag_msg + attributes). */
export function parseInetDiagMessage(payload: Uint8Array, requestedProtocol: number): InetDiagRecord {
  if (payload.length < MESSAGE_SIZE) {
    throw new DiagParseError(`inet_diag: message of ${payload.length} bytes, needs ${MESSAGE_SIZE}`);
  }
  const view = viewOf(payload);
  const familyNumber = payload[0];
  if (familyNumber !== AF_INET && familyNumber !== AF_INET6) {
    throw new DiagParseError(`inet_diag: family ${familyNumber} is neither AF_INET nor AF_INET6`);
  }
  const family = familyNumber === AF_INET ? 4 : 6;
  const cookie = (BigInt(view.getUint32(48, LITTLE_ENDIAN)) << 32n) | BigInt(view.getUint32(44, LITTLE_ENDIAN));
  const attributes = attributeMap(payload.subarray(MESSAGE_SIZE));
  const record: InetDiagRecord = {
    family,
    protocol: attributeU8(attributes, INET_DIAG_PROTOCOL, 'protocol') ?? requestedProtocol,
    state: payload[1],
    timer: payload[2],
    retransmits: payload[3],
    localPort: view.getUint16(4), // idiag_sport / dport: network byte order
    peerPort: view.getUint16(6),
    localAddress: address(payload.subarray(8, 24), family),
    peerAddress: address(payload.subarray(24, 40), family),
    interfaceIndex: view.getUint32(40, LITTLE_ENDIAN),
    cookie: cookie.toString(),
    expiresMs: view.getUint32(52, LITTLE_ENDIAN),
    receiveQueue: view.getUint32(56, LITTLE_ENDIAN),
    sendQueue: view.getUint32(60, LITTLE_ENDIAN),
    uid: view.getUint32(64, LITTLE_ENDIAN),
    inode: String(view.getUint32(68, LITTLE_ENDIAN)),
  };
  const v6only = attributeU8(attributes, INET_DIAG_SKV6ONLY, 'v6only');
  if (v6only !== undefined) record.v6only = v6only !== 0;
  const congestion = attributeString(attributes, INET_DIAG_CONG);
  if (congestion !== undefined) record.congestion = congestion;
  const info = attributes.get(INET_DIAG_INFO);
  // UDP answers carry no tcp_info; only parse it for TCP-sized payloads.
  if (info !== undefined && record.protocol === IPPROTO_TCP) record.tcpInfo = parseTcpInfo(info);
  const shutdown = attributeU8(attributes, INET_DIAG_SHUTDOWN, 'shutdown');
  if (shutdown !== undefined) record.shutdown = shutdown;
  const bbr = attributes.get(INET_DIAG_BBRINFO);
  if (bbr !== undefined && bbr.length >= 20) {
    const [lo, hi, minRtt, pacingGain, cwndGain] = u32Array(bbr);
    record.bbr = { bandwidth: hi * 2 ** 32 + lo, minRtt, pacingGain: pacingGain / 256, cwndGain: cwndGain / 256 };
  }
  const memory = attributes.get(INET_DIAG_SKMEMINFO);
  if (memory !== undefined) record.memory = u32Array(memory);
  return record;
}
