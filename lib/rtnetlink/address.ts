// RTM_NEWADDR / RTM_DELADDR messages (struct ifaddrmsg + IFA_* attributes): decoded into typed
// addresses, and built to add or remove one.
import { isIPv4, isIPv6 } from 'node:net';
import { checkInteger, invalidArgType, invalidArgValue, outOfRange } from '../core/validate.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../decode/address.js';
import { attributeMap, attributeString, attributeU32, DiagParseError, LITTLE_ENDIAN, viewOf } from '../diag/netlink.js';
import {
  ADDRESS_FLAGS,
  AF_INET,
  AF_INET6,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFADDRMSG_SIZE,
  SCOPES,
} from './constants.js';
import { attribute, concat } from './encode.js';

/** An address flag (IFA_F_*), spelt as `ip addr` prints it. */
export type AddressFlag =
  | 'secondary'
  | 'nodad'
  | 'optimistic'
  | 'dadfailed'
  | 'home'
  | 'deprecated'
  | 'tentative'
  | 'permanent'
  | 'mngtmpaddr'
  | 'noprefixroute'
  | 'autojoin'
  | 'stable-privacy';

/** One interface address as RTM_NEWADDR describes it. */
export interface InterfaceAddress {
  /** 4 or 6. */
  family: 4 | 6;
  /** Index of the interface it is on (ifa_index). */
  interfaceIndex: number;
  /** The address itself (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6), as text. */
  address: string;
  /** Prefix length (ifa_prefixlen): 24 for a /24. */
  prefixLength: number;
  /** The other end of a point-to-point link (IFA_ADDRESS when it differs from IFA_LOCAL), or null. */
  peer: string | null;
  /** IPv4 broadcast address (IFA_BROADCAST), or null. */
  broadcast: string | null;
  /** Scope as `ip` prints it: 'global', 'link', 'host', 'site', 'nowhere', or the number as text. */
  scope: string;
  /** IPv4 label (IFA_LABEL, e.g. 'eth0:1'), or null. */
  label: string | null;
  /** IFA_F_* flags set (from IFA_FLAGS when present, else ifa_flags). */
  flags: AddressFlag[];
  /** Seconds the address stays valid (IFA_CACHEINFO ifa_valid; 4294967295 = forever). */
  validLifetime: number;
  /** Seconds it stays preferred (ifa_prefered; 4294967295 = forever). */
  preferredLifetime: number;
}

function formatAddress(family: number, value: Uint8Array | undefined, what: string): string | null {
  if (value === undefined) return null;
  const size = family === AF_INET ? 4 : 16;
  if (value.length < size) throw new DiagParseError(`rtnetlink: ${what} has ${value.length} bytes, needs ${size}`);
  return family === AF_INET ? formatIPv4(value) : formatIPv6(value);
}

/**
 * Decodes the payload of an RTM_NEWADDR or RTM_DELADDR message; null for families other than
 * IPv4 and IPv6.
 * @throws DiagParseError (code ERR_RAWSOCK_DIAG_PARSE) when the bytes are not a valid message.
 */
export function parseAddress(payload: Uint8Array): InterfaceAddress | null {
  if (payload.length < IFADDRMSG_SIZE) {
    throw new DiagParseError(`rtnetlink: address message of ${payload.length} bytes, needs ${IFADDRMSG_SIZE}`);
  }
  const view = viewOf(payload);
  const family = view.getUint8(0);
  if (family !== AF_INET && family !== AF_INET6) return null;
  const map = attributeMap(payload.subarray(IFADDRMSG_SIZE));
  const local = formatAddress(family, map.get(IFA_LOCAL), 'IFA_LOCAL');
  const address = formatAddress(family, map.get(IFA_ADDRESS), 'IFA_ADDRESS');
  const own = local ?? address;
  if (own === null) throw new DiagParseError('rtnetlink: address message without IFA_LOCAL or IFA_ADDRESS');
  const bits = attributeU32(map, IFA_FLAGS, 'IFA_FLAGS') ?? view.getUint8(2);
  const scope = view.getUint8(3);
  const cache = map.get(IFA_CACHEINFO);
  // struct ifa_cacheinfo { u32 ifa_prefered, ifa_valid, cstamp, tstamp }.
  if (cache !== undefined && cache.length < 8) {
    throw new DiagParseError(`rtnetlink: IFA_CACHEINFO has ${cache.length} bytes, needs 8`);
  }
  const cacheView = cache === undefined ? undefined : viewOf(cache);
  return {
    family: family === AF_INET ? 4 : 6,
    interfaceIndex: view.getUint32(4, LITTLE_ENDIAN),
    address: own,
    prefixLength: view.getUint8(1),
    peer: local !== null && address !== null && address !== local ? address : null,
    broadcast: formatAddress(family, map.get(IFA_BROADCAST), 'IFA_BROADCAST'),
    scope: SCOPES[scope] ?? String(scope),
    label: attributeString(map, IFA_LABEL) ?? null,
    flags: ADDRESS_FLAGS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name),
    validLifetime: cacheView?.getUint32(4, LITTLE_ENDIAN) ?? 0xffffffff,
    preferredLifetime: cacheView?.getUint32(0, LITTLE_ENDIAN) ?? 0xffffffff,
  };
}

/** An RTM_GETADDR request body: struct ifaddrmsg with family AF_UNSPEC (dump every address). */
export function addressDumpRequest(): Uint8Array {
  return new Uint8Array(IFADDRMSG_SIZE);
}

/**
 * An address to add or remove.
 * @example { interface: 'eth0', address: '192.0.2.10', prefixLength: 24, validLifetime: 3600 }
 */
export interface AddressChange {
  /** Interface index or name. */
  interface: number | string;
  /** IPv4 or IPv6 address text. */
  address: string;
  /** Prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  prefixLength: number;
  /** IPv4 broadcast address; default the prefix's broadcast (what `ip addr add … brd +` sets). */
  broadcast?: string | null;
  /**
   * Seconds the address stays valid, then the kernel removes it (IFA_CACHEINFO, as `ip addr add
   * … valid_lft`): a DHCP lease's lifetime. Default forever.
   */
  validLifetime?: number;
  /** Seconds it stays preferred (default validLifetime). */
  preferredLifetime?: number;
}

/** @internal Checked family, bytes and prefix of an address change. */
export function checkAddress(
  name: string,
  address: unknown,
  prefixLength: unknown,
): { family: 4 | 6; bytes: Buffer; prefixLength: number } {
  if (typeof address !== 'string') throw invalidArgType(name, 'of type string', address);
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0) throw invalidArgValue(name, 'must be an IPv4 or IPv6 address', address);
  const max = family === 4 ? 32 : 128;
  checkInteger('prefixLength', prefixLength, 0, max);
  return {
    family,
    bytes: family === 4 ? parseIPv4(address) : parseIPv6(address),
    prefixLength: prefixLength as number,
  };
}

const checkLifetime = (name: string, value: unknown) => checkInteger(name, value, 0, 0xffffffff);

/** The IPv4 broadcast address of `bytes`/`prefixLength` (all host bits set). */
export function broadcastOf(bytes: Uint8Array, prefixLength: number): string {
  const value =
    ((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number);
  const host = prefixLength >= 32 ? 0 : 0xffffffff >>> prefixLength;
  const out = (value | host) >>> 0;
  return `${out >>> 24}.${(out >>> 16) & 0xff}.${(out >>> 8) & 0xff}.${out & 0xff}`;
}

/** @internal The RTM_NEWADDR / RTM_DELADDR body for a checked change on interface `index`. */
export function addressMessage(change: AddressChange, index: number, adding: boolean): Uint8Array {
  const { family, bytes, prefixLength } = checkAddress('address', change.address, change.prefixLength);
  const header = new Uint8Array(IFADDRMSG_SIZE);
  const view = viewOf(header);
  view.setUint8(0, family === 4 ? AF_INET : AF_INET6);
  view.setUint8(1, prefixLength);
  view.setUint8(3, 0); // RT_SCOPE_UNIVERSE; the kernel derives host scope for 127/8 itself
  view.setUint32(4, index, LITTLE_ENDIAN);
  // rtnetlink(7): for IPv4 IFA_LOCAL is the address and IFA_ADDRESS the peer (equal when not
  // point-to-point); IPv6 uses IFA_ADDRESS alone (as iproute2 sends both, so do we).
  const parts = [header, attribute(IFA_LOCAL, bytes), attribute(IFA_ADDRESS, bytes)];
  if (adding && family === 4 && change.broadcast !== null) {
    const broadcast = change.broadcast ?? broadcastOf(bytes, prefixLength);
    if (typeof broadcast !== 'string' || !isIPv4(broadcast)) {
      throw invalidArgValue('broadcast', 'must be an IPv4 address or null', broadcast);
    }
    parts.push(attribute(IFA_BROADCAST, parseIPv4(broadcast)));
  }
  if (adding && (change.validLifetime !== undefined || change.preferredLifetime !== undefined)) {
    const valid = checkLifetime('validLifetime', change.validLifetime ?? 0xffffffff);
    const preferred = checkLifetime('preferredLifetime', change.preferredLifetime ?? valid);
    if (preferred > valid) throw outOfRange('preferredLifetime', `at most validLifetime (${valid})`, preferred);
    const cache = new Uint8Array(16);
    viewOf(cache).setUint32(0, preferred, LITTLE_ENDIAN);
    viewOf(cache).setUint32(4, valid, LITTLE_ENDIAN);
    parts.push(attribute(IFA_CACHEINFO, cache));
  }
  return concat(parts);
}
