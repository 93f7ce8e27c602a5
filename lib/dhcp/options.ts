// DHCP options (RFC 2132) by name: how each named option's bytes map to a typed value and back.
// Options without a name here are kept as bytes, so nothing a server sends is lost.

import { checkInteger, invalidArgType, invalidArgValue } from '../core/validate.js';
import { formatIPv4, parseIPv4 } from '../decode/address.js';
import { DhcpParseError } from './errors.js';

/** DHCP message types (option 53, RFC 2132 §9.6) by name; the values are the wire codes 1..8. */
export const DHCP_MESSAGE_TYPES = {
  /** Client looks for servers. */
  discover: 1,
  /** Server offers an address. */
  offer: 2,
  /** Client asks for the offered (or its old) address. */
  request: 3,
  /** Client found the address in use. */
  decline: 4,
  /** Server grants the lease. */
  ack: 5,
  /** Server refuses. */
  nak: 6,
  /** Client gives the address back. */
  release: 7,
  /** Client asks for settings only. */
  inform: 8,
} as const;

/** A DHCP message type (option 53). */
export type DhcpMessageType = keyof typeof DHCP_MESSAGE_TYPES;

/**
 * The options of a DHCP message, the common ones named (RFC 2132 section in brackets).
 * @example { messageType: 'discover', parameterRequestList: [1, 3, 6, 15, 51], hostName: 'box' }
 */
export interface DhcpOptions {
  /** 53 [§9.6] DHCP message type. */
  messageType?: DhcpMessageType;
  /** 1 [§3.3] Subnet mask, dotted decimal. */
  subnetMask?: string;
  /** 2 [§3.4] Offset of the client's subnet from UTC, seconds (signed). */
  timeOffset?: number;
  /** 3 [§3.5] Routers, in order of preference. */
  routers?: string[];
  /** 6 [§3.8] DNS servers, in order of preference. */
  dnsServers?: string[];
  /** 12 [§3.14] Host name. */
  hostName?: string;
  /** 15 [§3.17] Domain name. */
  domainName?: string;
  /** 26 [§5.1] Interface MTU (at least 68). */
  interfaceMtu?: number;
  /** 28 [§5.3] Broadcast address. */
  broadcastAddress?: string;
  /** 42 [§8.3] NTP servers. */
  ntpServers?: string[];
  /** 50 [§9.1] Requested IP address (DISCOVER, REQUEST). */
  requestedAddress?: string;
  /** 51 [§9.2] Lease time, seconds (0xffffffff: infinite). */
  leaseTime?: number;
  /** 54 [§9.7] Server identifier: the server's address. */
  serverIdentifier?: string;
  /** 55 [§9.8] Parameter request list: the option codes the client wants. */
  parameterRequestList?: number[];
  /** 56 [§9.9] Message: why a server sent a NAK, or a client a DECLINE. */
  message?: string;
  /** 57 [§9.10] Maximum DHCP message size the client accepts (at least 576). */
  maxMessageSize?: number;
  /** 58 [§9.11] Renewal (T1) time, seconds. */
  renewalTime?: number;
  /** 59 [§9.12] Rebinding (T2) time, seconds. */
  rebindingTime?: number;
  /** 60 [§9.13] Vendor class identifier (udhcpc sends "udhcp VERSION"). */
  vendorClassIdentifier?: string;
  /** 61 [§9.14] Client identifier: usually the hardware type (1) then the MAC. */
  clientIdentifier?: Uint8Array;
  /**
   * Every option without a name above, by code, as the bytes on the wire (options split over
   * several instances, RFC 3396, already joined).
   */
  other?: Map<number, Uint8Array>;
}

type Kind = 'u8' | 'u16' | 's32' | 'u32' | 'ip' | 'ips' | 'text' | 'bytes' | 'codes' | 'type';

/** Named options: code, field, value kind. The order is the order they are encoded in. */
export const NAMED_OPTIONS: readonly (readonly [number, keyof DhcpOptions, Kind])[] = [
  [53, 'messageType', 'type'],
  [61, 'clientIdentifier', 'bytes'],
  [50, 'requestedAddress', 'ip'],
  [54, 'serverIdentifier', 'ip'],
  [51, 'leaseTime', 'u32'],
  [58, 'renewalTime', 'u32'],
  [59, 'rebindingTime', 'u32'],
  [1, 'subnetMask', 'ip'],
  [2, 'timeOffset', 's32'],
  [3, 'routers', 'ips'],
  [6, 'dnsServers', 'ips'],
  [12, 'hostName', 'text'],
  [15, 'domainName', 'text'],
  [26, 'interfaceMtu', 'u16'],
  [28, 'broadcastAddress', 'ip'],
  [42, 'ntpServers', 'ips'],
  [55, 'parameterRequestList', 'codes'],
  [56, 'message', 'text'],
  [57, 'maxMessageSize', 'u16'],
  [60, 'vendorClassIdentifier', 'text'],
];

const byCode = new Map(NAMED_OPTIONS.map(([code, field, kind]) => [code, { field, kind }]));

/** Option codes with no length octet (RFC 2132 §3.1, §3.2). */
export const OPTION_PAD = 0;
export const OPTION_END = 255;

/** Decodes one named option's bytes; throws DhcpParseError when the length is wrong for its kind. */
function decodeValue(code: number, kind: Kind, data: Uint8Array, offset: number): unknown {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new DhcpParseError(`option ${code} must be ${what}, has ${b.length} bytes`, offset, 'bad-option');
  };
  switch (kind) {
    case 'u8':
      need(b.length === 1, '1 byte');
      return b[0];
    case 'type': {
      need(b.length === 1, '1 byte');
      const name = (Object.keys(DHCP_MESSAGE_TYPES) as DhcpMessageType[]).find((n) => DHCP_MESSAGE_TYPES[n] === b[0]);
      if (name === undefined) throw new DhcpParseError(`unknown DHCP message type ${b[0]}`, offset, 'bad-option');
      return name;
    }
    case 'u16':
      need(b.length === 2, '2 bytes');
      return b.readUInt16BE(0);
    case 'u32':
      need(b.length === 4, '4 bytes');
      return b.readUInt32BE(0);
    case 's32':
      need(b.length === 4, '4 bytes');
      return b.readInt32BE(0);
    case 'ip':
      need(b.length === 4, '4 bytes');
      return formatIPv4(b);
    case 'ips': {
      need(b.length >= 4 && b.length % 4 === 0, 'a non-empty multiple of 4 bytes');
      const out: string[] = [];
      for (let at = 0; at < b.length; at += 4) out.push(formatIPv4(b, at));
      return out;
    }
    case 'text':
      // NVT ASCII, RFC 2132 §2: some servers NUL-terminate, which is not part of the value.
      return b.toString('latin1').replace(/\0+$/, '');
    case 'codes':
      return [...b];
    case 'bytes':
      return Buffer.from(b);
  }
}

/**
 * Decodes the options area (after the magic cookie, or a sname/file field under option 52).
 * Instances of one code are joined first (RFC 3396), then named options get their types.
 * `raw` collects the joined bytes by code in the order first seen.
 */
export function collectOptions(area: Uint8Array, base: number, raw: Map<number, Uint8Array[]>): boolean {
  let at = 0;
  while (at < area.length) {
    const code = area[at] as number;
    if (code === OPTION_PAD) {
      at++;
      continue;
    }
    if (code === OPTION_END) return true;
    if (at + 1 >= area.length) {
      throw new DhcpParseError(`option ${code} at offset ${base + at} has no length octet`, base + at, 'truncated');
    }
    const length = area[at + 1] as number;
    if (at + 2 + length > area.length) {
      throw new DhcpParseError(
        `option ${code} at offset ${base + at} claims ${length} bytes, ${area.length - at - 2} are left`,
        base + at,
        'truncated',
      );
    }
    const list = raw.get(code) ?? [];
    list.push(area.subarray(at + 2, at + 2 + length));
    raw.set(code, list);
    at += 2 + length;
  }
  return false;
}

/** Typed options from the joined bytes by code. */
export function typedOptions(raw: Map<number, Uint8Array[]>, offset: number): DhcpOptions {
  const options: DhcpOptions = {};
  const other = new Map<number, Uint8Array>();
  for (const [code, parts] of raw) {
    const joined = Buffer.concat(parts);
    const named = byCode.get(code);
    if (named === undefined) other.set(code, joined);
    else (options as Record<string, unknown>)[named.field] = decodeValue(code, named.kind, joined, offset);
  }
  if (other.size > 0) options.other = other;
  return options;
}

function checkIPv4(name: string, value: unknown): Buffer {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return parseIPv4(value);
}

function encodeValue(field: string, kind: Kind, value: unknown): Uint8Array {
  const name = `options.${field}`;
  switch (kind) {
    case 'type': {
      const code = DHCP_MESSAGE_TYPES[value as DhcpMessageType];
      if (typeof value !== 'string' || !Object.hasOwn(DHCP_MESSAGE_TYPES, value) || code === undefined) {
        throw invalidArgValue(name, `must be one of ${Object.keys(DHCP_MESSAGE_TYPES).join(', ')}`, value);
      }
      return Uint8Array.of(code);
    }
    case 'u8':
      return Uint8Array.of(checkInteger(name, value, 0, 0xff));
    case 'u16': {
      const out = Buffer.alloc(2);
      out.writeUInt16BE(checkInteger(name, value, 0, 0xffff));
      return out;
    }
    case 'u32': {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(checkInteger(name, value, 0, 0xffffffff));
      return out;
    }
    case 's32': {
      const out = Buffer.alloc(4);
      out.writeInt32BE(checkInteger(name, value, -0x80000000, 0x7fffffff));
      return out;
    }
    case 'ip':
      return checkIPv4(name, value);
    case 'ips': {
      if (!Array.isArray(value) || value.length === 0)
        throw invalidArgType(name, 'a non-empty array of IPv4 addresses', value);
      return Buffer.concat(value.map((v, i) => checkIPv4(`${name}[${i}]`, v)));
    }
    case 'text': {
      if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
      return Buffer.from(value, 'latin1');
    }
    case 'codes': {
      if (!Array.isArray(value)) throw invalidArgType(name, 'an array of option codes', value);
      return Uint8Array.from(value.map((v, i) => checkInteger(`${name}[${i}]`, v, 1, 254)));
    }
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw invalidArgType(name, 'a Uint8Array', value);
      return value;
  }
}

/** One option, split into instances of at most 255 bytes when longer (RFC 3396). */
function instances(code: number, data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    const part = data.subarray(at, at + 255);
    out.push(Uint8Array.of(code, part.length), part);
    at += 255;
  } while (at < data.length);
  return out;
}

/** The options area: named options in NAMED_OPTIONS order, then the others by code, then End. */
export function encodeOptions(options: DhcpOptions): Buffer {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const parts: Uint8Array[] = [];
  for (const [code, field, kind] of NAMED_OPTIONS) {
    const value = options[field];
    if (value === undefined) continue;
    parts.push(...instances(code, encodeValue(field, kind, value)));
  }
  if (options.other !== undefined) {
    if (!(options.other instanceof Map)) throw invalidArgType('options.other', 'a Map of code to bytes', options.other);
    for (const [code, data] of [...options.other].sort(([a], [b]) => a - b)) {
      checkInteger('options.other code', code, 1, 254);
      if (byCode.has(code)) {
        throw invalidArgValue('options.other', `has option ${code}, which is named ${byCode.get(code)?.field}`, code);
      }
      if (!(data instanceof Uint8Array)) throw invalidArgType(`options.other[${code}]`, 'a Uint8Array', data);
      parts.push(...instances(code, data));
    }
  }
  parts.push(Uint8Array.of(OPTION_END));
  return Buffer.concat(parts);
}
