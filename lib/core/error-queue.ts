// Records of the socket error queue (ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR), as
// src-native/error_queue.cc hands them over: the start of the original packet, the original
// destination, and control messages among which the IP_RECVERR / IPV6_RECVERR one carries
// struct sock_extended_err { u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info;
// u32 ee_data; } followed by the offender's address (SO_EE_OFFENDER).
import { endianness } from 'node:os';
import { native } from '../native.js';
import { messageEntry } from './batch-layout.js';
import { type ControlMessage, parseControlMessages } from './control-messages.js';
import { decodeInet, type InetAddress } from './sockaddr.js';

const littleEndian = endianness() === 'LE';
const SOCK_EXTENDED_ERR_SIZE = 16;

/** Where a queued error came from (sock_extended_err.ee_origin). */
export type ErrorOrigin = 'none' | 'local' | 'icmp' | 'icmp6' | 'other';

/** One error-queue record, decoded but not yet interpreted. */
export interface ErrorQueueRecord {
  /** The errno the error maps to, by name ('EHOSTUNREACH', 'ECONNREFUSED', 'EMSGSIZE', …). */
  errnoCode: string;
  /** The same as a positive number (ee_errno). */
  errno: number;
  /** ee_origin: 'icmp' / 'icmp6' for errors a router or host sent, 'local' for the sender's own. */
  origin: ErrorOrigin;
  /** ICMP type (ee_type), for ICMP origins. */
  icmpType: number;
  /** ICMP code (ee_code), for ICMP origins. */
  icmpCode: number;
  /** ee_info: the MTU for "fragmentation needed" / "packet too big" / local EMSGSIZE, else ICMP's extra word. */
  info: number;
  /** The address of the node that sent the ICMP error (SO_EE_OFFENDER), when there is one. */
  offender: InetAddress | null;
  /** The original destination of the datagram the error is about (msg_name). */
  destination: InetAddress | null;
  /** The start of the original datagram as the kernel quotes it (a view of its own memory). */
  original: Buffer;
  /** The original's length when the kernel gave more than the reader keeps. */
  size: number;
  /** The other control messages (IP_TTL of the ICMP error, timestamps). */
  control: ControlMessage[];
}

const origins: Record<number, ErrorOrigin> = { 0: 'none', 1: 'local', 2: 'icmp', 3: 'icmp6' };
const codes = new Map<number, string>();

/** errno → 'EHOSTUNREACH', by the names libuv (and Node) use. */
export function errnoCode(errno: number): string {
  let code = codes.get(errno);
  if (code === undefined) {
    code = native.errnoError(errno, 'recvmsg').code ?? `E${errno}`;
    codes.set(errno, code);
  }
  return code;
}

/**
 * Decodes record `index` of an error-queue batch (onErrorQueue; the message layout of
 * lib/core/batch-layout.ts). `errLevel` / `errType` name the cmsg holding sock_extended_err (IPPROTO_IP +
 * IP_RECVERR or IPPROTO_IPV6 + IPV6_RECVERR). Null when the record has no such cmsg, or it is
 * too short to hold the structure: nothing the kernel gave is read past its length.
 */
export function decodeErrorRecord(
  batch: Buffer,
  meta: Uint32Array,
  index: number,
  errLevel: number,
  errType: number,
): ErrorQueueRecord | null {
  const { dataOffset, captured, length: size, auxOffset, addressLength, controlLength } = messageEntry(meta, index);
  const control = parseControlMessages(batch, auxOffset + addressLength, controlLength);
  const err = control.find((c) => c.level === errLevel && c.type === errType);
  if (!err || err.data.length < SOCK_EXTENDED_ERR_SIZE) return null;
  const d = err.data;
  const errno = littleEndian ? d.readUInt32LE(0) : d.readUInt32BE(0);
  const info = littleEndian ? d.readUInt32LE(8) : d.readUInt32BE(8);
  const offenderBytes = d.subarray(SOCK_EXTENDED_ERR_SIZE);
  return {
    errnoCode: errnoCode(errno),
    errno,
    origin: origins[d[4] as number] ?? 'other',
    icmpType: d[5] as number,
    icmpCode: d[6] as number,
    info,
    offender: decodeInet(offenderBytes, 0, offenderBytes.length),
    destination: decodeInet(batch, auxOffset, addressLength),
    original: Buffer.from(batch.subarray(dataOffset, dataOffset + captured)),
    size,
    control: control.filter((c) => c !== err),
  };
}
