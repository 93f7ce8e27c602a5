// Netlink message framing and attributes (netlink(7), <linux/netlink.h>) as pure functions over
// bytes. Every length the kernel gives is checked against the bytes actually there before it is
// used: a fuzzer targets these functions, so malformed input must end in a DiagParseError and
// never in an out-of-range read or an endless loop.
import { endianness } from 'node:os';

/** Netlink headers are in host byte order. */
export const LITTLE_ENDIAN = endianness() === 'LE';

/** sizeof(struct nlmsghdr): len u32, type u16, flags u16, seq u32, pid u32. */
export const NLMSG_HDRLEN = 16;
/** sizeof(struct nlattr) / struct rtattr: len u16, type u16. */
export const NLA_HDRLEN = 4;
/** NLA_F_NESTED | NLA_F_NET_BYTEORDER: flag bits in nla_type, not part of the type. */
export const NLA_TYPE_MASK = 0x3fff;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;

/** Bytes the kernel sent that do not form valid netlink: names what was wrong and where. */
export class DiagParseError extends Error {
  readonly code = 'ERR_RAWSOCK_DIAG_PARSE';
  constructor(message: string) {
    super(message);
    this.name = 'DiagParseError';
  }
}

/** NLMSG_ALIGN / NLA_ALIGN: lengths are rounded up to 4 bytes. */
export function align4(length: number): number {
  return (length + 3) & ~3;
}

/** A DataView over exactly `bytes`, whatever buffer it lives in. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One netlink message: its header fields and a copy-free view of its payload. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/**
 * Splits one datagram into its netlink messages. netlink(7): each message starts with an
 * nlmsghdr whose nlmsg_len counts the header and payload; the next message starts at the aligned
 * end. A length shorter than the header or longer than what is left is an error.
 */
export function parseMessages(bytes: Uint8Array): NetlinkMessage[] {
  const view = viewOf(bytes);
  const messages: NetlinkMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const left = bytes.length - at;
    if (left < NLMSG_HDRLEN) {
      throw new DiagParseError(`netlink: ${left} bytes at offset ${at} are too few for a message header`);
    }
    const length = view.getUint32(at, LITTLE_ENDIAN);
    if (length < NLMSG_HDRLEN || length > left) {
      throw new DiagParseError(`netlink: message at offset ${at} claims ${length} bytes (${left} left)`);
    }
    messages.push({
      type: view.getUint16(at + 4, LITTLE_ENDIAN),
      flags: view.getUint16(at + 6, LITTLE_ENDIAN),
      seq: view.getUint32(at + 8, LITTLE_ENDIAN),
      pid: view.getUint32(at + 12, LITTLE_ENDIAN),
      payload: bytes.subarray(at + NLMSG_HDRLEN, at + length),
    });
    at += align4(length);
  }
  return messages;
}

/** nlmsghdr + payload, nlmsg_len filled in. */
export function encodeMessage(type: number, flags: number, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(NLMSG_HDRLEN + payload.length);
  const view = viewOf(out);
  view.setUint32(0, out.length, LITTLE_ENDIAN);
  view.setUint16(4, type, LITTLE_ENDIAN);
  view.setUint16(6, flags, LITTLE_ENDIAN);
  view.setUint32(8, seq, LITTLE_ENDIAN);
  view.setUint32(12, 0, LITTLE_ENDIAN); // nlmsg_pid 0: the kernel fills in our port id
  out.set(payload, NLMSG_HDRLEN);
  return out;
}

/**
 * The error of an NLMSG_ERROR message (struct nlmsgerr: int error, then the request's header):
 * 0 for an acknowledgement, else a positive errno. NLMSG_DONE of a dump may also carry an int
 * (the dump's final error); pass its payload here too.
 */
export function parseErrorCode(payload: Uint8Array): number {
  if (payload.length < 4) throw new DiagParseError(`netlink: error message of ${payload.length} bytes`);
  return -viewOf(payload).getInt32(0, LITTLE_ENDIAN);
}

/** One attribute (struct nlattr / rtattr). */
export interface Attribute {
  /** nla_type without the NESTED / NET_BYTEORDER flag bits. */
  type: number;
  value: Uint8Array;
}

/**
 * The attributes in `bytes` (what follows a fixed-size message body). netlink(7): each has a
 * 4-byte header whose length counts the header and value; the next starts at the aligned end.
 * Fewer than 4 trailing bytes (alignment padding) are ignored.
 */
export function parseAttributes(bytes: Uint8Array): Attribute[] {
  const view = viewOf(bytes);
  const attributes: Attribute[] = [];
  let at = 0;
  while (bytes.length - at >= NLA_HDRLEN) {
    const left = bytes.length - at;
    const length = view.getUint16(at, LITTLE_ENDIAN);
    if (length < NLA_HDRLEN || length > left) {
      throw new DiagParseError(`netlink: attribute at offset ${at} claims ${length} bytes (${left} left)`);
    }
    attributes.push({
      type: view.getUint16(at + 2, LITTLE_ENDIAN) & NLA_TYPE_MASK,
      value: bytes.subarray(at + NLA_HDRLEN, at + length),
    });
    at += align4(length);
  }
  return attributes;
}

/** Attributes by type; when a type repeats, the first one wins (as the kernel's nla_parse does not promise otherwise). */
export function attributeMap(bytes: Uint8Array): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const { type, value } of parseAttributes(bytes)) {
    if (!map.has(type)) map.set(type, value);
  }
  return map;
}

/** A u8 / u32 attribute, checked to be long enough; undefined when absent. */
export function attributeU8(map: Map<number, Uint8Array>, type: number, what: string): number | undefined {
  const value = map.get(type);
  if (value === undefined) return undefined;
  if (value.length < 1) throw new DiagParseError(`netlink: ${what} attribute is empty`);
  return value[0];
}

export function attributeU32(map: Map<number, Uint8Array>, type: number, what: string): number | undefined {
  const value = map.get(type);
  if (value === undefined) return undefined;
  if (value.length < 4) throw new DiagParseError(`netlink: ${what} attribute has ${value.length} bytes, needs 4`);
  return viewOf(value).getUint32(0, LITTLE_ENDIAN);
}

/** A NUL-terminated string attribute (the NUL and anything after it are dropped). */
export function attributeString(map: Map<number, Uint8Array>, type: number): string | undefined {
  const value = map.get(type);
  if (value === undefined) return undefined;
  const end = value.indexOf(0);
  return Buffer.from(value.buffer, value.byteOffset, end < 0 ? value.length : end).toString('latin1');
}

/** u32 array from an attribute of any length (a trailing partial word is ignored). */
export function u32Array(value: Uint8Array): number[] {
  const view = viewOf(value);
  const out: number[] = [];
  for (let at = 0; at + 4 <= value.length; at += 4) out.push(view.getUint32(at, LITTLE_ENDIAN));
  return out;
}
