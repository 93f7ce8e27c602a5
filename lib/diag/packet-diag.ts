// packet_diag (<linux/packet_diag.h>): the request for a dump of every packet socket in the
// caller's network namespace, and the parser for each answer. Pure functions over bytes.
import { constants } from '../native.js';
import { FANOUT_MODES, type FanoutModeName } from './names.js';
import {
  attributeMap,
  attributeU32,
  DiagParseError,
  LITTLE_ENDIAN,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  u32Array,
  viewOf,
} from './netlink.js';

// From the addon's constants (the system headers), not literals.
export const { AF_PACKET, SOCK_DIAG_BY_FAMILY } = constants as Record<string, number>;

/** pdiag_show bits. */
export const PACKET_SHOW_INFO = 0x1;
export const PACKET_SHOW_MCLIST = 0x2;
export const PACKET_SHOW_RING_CFG = 0x4;
export const PACKET_SHOW_FANOUT = 0x8;
export const PACKET_SHOW_MEMINFO = 0x10;
export const PACKET_SHOW_FILTER = 0x20;

/** Attribute types of an answer. */
const PACKET_DIAG_INFO = 0;
const PACKET_DIAG_MCLIST = 1;
const PACKET_DIAG_RX_RING = 2;
const PACKET_DIAG_TX_RING = 3;
const PACKET_DIAG_FANOUT = 4;
const PACKET_DIAG_UID = 5;
const PACKET_DIAG_MEMINFO = 6;
const PACKET_DIAG_FILTER = 7;

/** sizeof(struct packet_diag_req) and sizeof(struct packet_diag_msg). */
const REQUEST_SIZE = 20;
const MESSAGE_SIZE = 16;
const INFO_SIZE = 24;
const MCLIST_SIZE = 44; // 4 + 4 + 2 + 2 + pdmc_addr[MAX_ADDR_LEN = 32]
const RING_SIZE = 28;

/** <linux/sock_diag.h> SK_MEMINFO_* indexes. */
const SK_MEMINFO_RMEM_ALLOC = 0;
const SK_MEMINFO_RCVBUF = 1;
const SK_MEMINFO_DROPS = 8;

/** nlmsg flags and the packet_diag_req body asking for every packet socket. */
export function packetDiagRequest(show: number): { type: number; flags: number; body: Uint8Array } {
  const body = new Uint8Array(REQUEST_SIZE);
  const view = viewOf(body);
  body[0] = AF_PACKET; // sdiag_family
  body[1] = 0; // sdiag_protocol: unused for AF_PACKET
  view.setUint32(4, 0, LITTLE_ENDIAN); // pdiag_ino 0 + NLM_F_DUMP: all sockets
  view.setUint32(8, show >>> 0, LITTLE_ENDIAN);
  view.setUint32(12, 0xffffffff, LITTLE_ENDIAN); // cookie: INET_DIAG_NOCOOKIE-style "any"
  view.setUint32(16, 0xffffffff, LITTLE_ENDIAN);
  return { type: SOCK_DIAG_BY_FAMILY, flags: NLM_F_REQUEST | NLM_F_DUMP, body };
}

/** A TPACKET ring's geometry (struct packet_diag_ring). */
export interface RingConfig {
  /** Bytes per block (pdr_block_size, tp_block_size). */
  blockSize: number;
  /** Blocks in the ring (pdr_block_nr). */
  blockCount: number;
  /** Frame size (pdr_frame_size, tp_frame_size). */
  frameSize: number;
  /** Frames in the ring (pdr_frame_nr). */
  frameCount: number;
  /** TPACKET_V3 block retire timeout, ms. */
  retireTimeoutMs: number;
  /** Per-block private area reserved for the user (pdr_sizeof_priv, tp_sizeof_priv), bytes. */
  sizeofPriv: number;
  /** TPACKET_V3 feature flags (pdr_features, tp_feature_req_word). */
  features: number;
}

/** One PACKET_ADD_MEMBERSHIP (struct packet_diag_mclist). */
export interface PacketMembership {
  /** The interface the membership is on. */
  interfaceIndex: number;
  /** How many times it was added (the kernel reference-counts memberships). */
  count: number;
  /** PACKET_MR_MULTICAST 0, PROMISC 1, ALLMULTI 2, UNICAST 3. */
  type: 'multicast' | 'promisc' | 'allmulti' | 'unicast' | number;
  /** Link-layer address for multicast/unicast memberships, as hex bytes joined by ':'. */
  address: string;
}

/** One classic BPF instruction (struct sock_filter). */
export interface FilterInstruction {
  /** The opcode (BPF_LD | BPF_H | BPF_ABS …). */
  code: number;
  /** Instructions to skip when a conditional jump is taken. */
  jt: number;
  /** Instructions to skip when it is not. */
  jf: number;
  /** The constant operand, unsigned 32 bits. */
  k: number;
}

/** What packet_diag reports about one socket, before interface names and owners are added. */
export interface PacketDiagRecord {
  inode: string;
  /** SOCK_RAW (3) or SOCK_DGRAM (2). */
  socketType: number;
  /** Host-order EtherType the socket is hooked for (pdiag_num); 0 = not hooked. */
  protocol: number;
  /** The kernel's socket cookie, as a decimal string. */
  cookie: string;
  interfaceIndex?: number;
  /** TPACKET version: 1, 2 or 3 (pdi_version + 1). */
  tpacketVersion?: number;
  running?: boolean;
  auxdata?: boolean;
  origdev?: boolean;
  vnetHeader?: boolean;
  loss?: boolean;
  reserve?: number;
  copyThreshold?: number;
  timestamp?: number;
  uid?: number;
  receiveQueue?: number;
  receiveBuffer?: number;
  drops?: number;
  rxRing?: RingConfig;
  txRing?: RingConfig;
  /** PACKET_FANOUT group (the kernel reports its id and mode, not the flags). */
  fanout?: { id: number; mode: FanoutModeName | number };
  memberships?: PacketMembership[];
  /**
   * undefined: not asked for, or the kernel would not say (no CAP_NET_ADMIN: it sends an empty
   * attribute). Otherwise whether a classic filter is attached, and its instructions.
   */
  filter?: { attached: boolean; instructions?: FilterInstruction[] };
}

function parseRing(value: Uint8Array, what: string): RingConfig {
  if (value.length < RING_SIZE) throw new DiagParseError(`packet_diag: ${what} has ${value.length} bytes`);
  const [blockSize, blockCount, frameSize, frameCount, retireTimeoutMs, sizeofPriv, features] = u32Array(value);
  return { blockSize, blockCount, frameSize, frameCount, retireTimeoutMs, sizeofPriv, features };
}

const MEMBERSHIP_TYPES = ['multicast', 'promisc', 'allmulti', 'unicast'] as const;

function parseMemberships(value: Uint8Array): PacketMembership[] {
  const out: PacketMembership[] = [];
  const view = viewOf(value);
  // The attribute is a nest of packet_diag_mclist structs laid end to end.
  for (let at = 0; at + MCLIST_SIZE <= value.length; at += MCLIST_SIZE) {
    const type = view.getUint16(at + 8, LITTLE_ENDIAN);
    const alen = Math.min(view.getUint16(at + 10, LITTLE_ENDIAN), 32);
    out.push({
      interfaceIndex: view.getUint32(at, LITTLE_ENDIAN),
      count: view.getUint32(at + 4, LITTLE_ENDIAN),
      type: MEMBERSHIP_TYPES[type] ?? type,
      address: Array.from(value.subarray(at + 12, at + 12 + alen), (b) => b.toString(16).padStart(2, '0')).join(':'),
    });
  }
  return out;
}

function parseFilter(value: Uint8Array): PacketDiagRecord['filter'] {
  // sock_diag_put_filterinfo: without CAP_NET_ADMIN an empty attribute whatever is attached;
  // with it, the classic program, or no attribute at all when none (or an eBPF one) is attached.
  if (value.length === 0) return undefined;
  if (value.length % 8 !== 0) throw new DiagParseError(`packet_diag: filter of ${value.length} bytes`);
  const view = viewOf(value);
  const instructions: FilterInstruction[] = [];
  for (let at = 0; at < value.length; at += 8) {
    instructions.push({
      code: view.getUint16(at, LITTLE_ENDIAN),
      jt: value[at + 2],
      jf: value[at + 3],
      k: view.getUint32(at + 4, LITTLE_ENDIAN),
    });
  }
  return { attached: instructions.length > 0, instructions };
}

/**
 * Parses one SOCK_DIAG_BY_FAMILY answer (packet_diag_msg + attributes). `shown` is the
 * pdiag_show the request asked for: an attribute that was asked for and is absent means "none"
 * (no ring, no fanout, no filter), one not asked for stays undefined.
 */
export function parsePacketDiagMessage(payload: Uint8Array, shown: number): PacketDiagRecord {
  if (payload.length < MESSAGE_SIZE) {
    throw new DiagParseError(`packet_diag: message of ${payload.length} bytes, needs ${MESSAGE_SIZE}`);
  }
  const view = viewOf(payload);
  if (payload[0] !== AF_PACKET) throw new DiagParseError(`packet_diag: family ${payload[0]} is not AF_PACKET`);
  const cookie = (BigInt(view.getUint32(12, LITTLE_ENDIAN)) << 32n) | BigInt(view.getUint32(8, LITTLE_ENDIAN));
  const record: PacketDiagRecord = {
    inode: String(view.getUint32(4, LITTLE_ENDIAN)),
    socketType: payload[1],
    protocol: view.getUint16(2, LITTLE_ENDIAN),
    cookie: cookie.toString(),
  };
  const attributes = attributeMap(payload.subarray(MESSAGE_SIZE));

  const info = attributes.get(PACKET_DIAG_INFO);
  if (info !== undefined) {
    if (info.length < INFO_SIZE) throw new DiagParseError(`packet_diag: info of ${info.length} bytes`);
    const [index, version, reserve, copyThreshold, timestamp, flags] = u32Array(info);
    record.interfaceIndex = index;
    record.tpacketVersion = version + 1;
    record.reserve = reserve;
    record.copyThreshold = copyThreshold;
    record.timestamp = timestamp;
    record.running = (flags & 0x1) !== 0;
    record.auxdata = (flags & 0x2) !== 0;
    record.origdev = (flags & 0x4) !== 0;
    record.vnetHeader = (flags & 0x8) !== 0;
    record.loss = (flags & 0x10) !== 0;
  }

  record.uid = attributeU32(attributes, PACKET_DIAG_UID, 'uid');

  const meminfo = attributes.get(PACKET_DIAG_MEMINFO);
  if (meminfo !== undefined) {
    // The array grew over kernel versions (SK_MEMINFO_VARS): read what is there.
    const mem = u32Array(meminfo);
    record.receiveQueue = mem[SK_MEMINFO_RMEM_ALLOC];
    record.receiveBuffer = mem[SK_MEMINFO_RCVBUF];
    record.drops = mem[SK_MEMINFO_DROPS];
  }

  if (shown & PACKET_SHOW_RING_CFG) {
    const rx = attributes.get(PACKET_DIAG_RX_RING);
    const tx = attributes.get(PACKET_DIAG_TX_RING);
    if (rx !== undefined) record.rxRing = parseRing(rx, 'rx ring');
    if (tx !== undefined) record.txRing = parseRing(tx, 'tx ring');
  }

  const fanout = attributeU32(attributes, PACKET_DIAG_FANOUT, 'fanout');
  if (fanout !== undefined) {
    // pdiag_put_fanout: group id | mode << 16.
    const mode = fanout >>> 16;
    record.fanout = { id: fanout & 0xffff, mode: FANOUT_MODES[mode] ?? mode };
  }

  const mclist = attributes.get(PACKET_DIAG_MCLIST);
  if (mclist !== undefined) record.memberships = parseMemberships(mclist);
  else if (shown & PACKET_SHOW_MCLIST) record.memberships = [];

  if (shown & PACKET_SHOW_FILTER) {
    const filter = attributes.get(PACKET_DIAG_FILTER);
    // Absent while asked for: no classic filter attached (the kernel answered with privilege).
    record.filter = filter === undefined ? { attached: false } : parseFilter(filter);
  }
  return record;
}
