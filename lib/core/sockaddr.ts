// struct sockaddr_in / sockaddr_in6 / sockaddr_un as bytes. The family field is in host byte
// order, ports and IPv4/IPv6 addresses in network byte order (ip(7), ipv6(7), unix(7)).
import { endianness } from 'node:os';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../decode/address.js';
import { constants, native } from '../native.js';
import { checkPort, checkString, invalidArgValue, outOfRange } from './validate.js';

const littleEndian = endianness() === 'LE';

/** An IPv4 or IPv6 socket address, as node:dgram reports them. */
export interface InetAddress {
  /** The IP address as text ('127.0.0.1', '::1'). */
  address: string;
  /** 'IPv4' or 'IPv6', as node:dgram spells it. */
  family: 'IPv4' | 'IPv6';
  /** The port. */
  port: number;
}

export { checkPort };

/** sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes); an IPv6 zone ("fe80::1%eth0") sets scope_id. */
export function encodeInet(family: 4 | 6, address: string, port: number): Buffer {
  checkPort(port);
  checkString('address', address);
  if (family === 4) {
    const out = Buffer.alloc(16);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint16(0, constants.AF_INET, littleEndian);
    view.setUint16(2, port);
    out.set(parseIPv4(address), 4);
    return out;
  }
  const [host, zone] = address.split('%', 2);
  const out = Buffer.alloc(28);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, constants.AF_INET6, littleEndian);
  view.setUint16(2, port);
  out.set(parseIPv6(host), 8);
  if (zone !== undefined) {
    const scope = /^\d+$/.test(zone) ? Number(zone) : native.ifNameToIndex(zone);
    view.setUint32(24, scope, littleEndian);
  }
  return out;
}

/** Decodes sockaddr_in / sockaddr_in6; null for anything else. */
export function decodeInet(bytes: Uint8Array, offset = 0, length = bytes.length - offset): InetAddress | null {
  if (length < 2) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const family = view.getUint16(0, littleEndian);
  if (family === constants.AF_INET && length >= 8) {
    return { address: formatIPv4(bytes, offset + 4), family: 'IPv4', port: view.getUint16(2) };
  }
  if (family === constants.AF_INET6 && length >= 24) {
    return { address: formatIPv6(bytes, offset + 8), family: 'IPv6', port: view.getUint16(2) };
  }
  return null;
}

const SUN_PATH_MAX = constants.SUN_PATH_MAX;

/**
 * sockaddr_un for a filesystem path, or for an abstract name written with a leading '@'
 * (unix(7): abstract names start with a NUL byte, are not NUL-terminated, and their length is
 * the address length). Too long for sun_path → RangeError before any system call.
 */
export function encodeUnix(path: string): Buffer {
  checkString('path', path);
  if (path.length === 0) throw invalidArgValue('path', 'must not be empty', path);
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? path.slice(1) : path);
  if (!abstract && name.includes(0)) throw invalidArgValue('path', 'must not contain NUL bytes', path);
  // A filesystem path needs room for its terminating NUL; an abstract name for its leading one.
  const limit = SUN_PATH_MAX - 1;
  if (name.length > limit) {
    throw outOfRange(
      'path',
      `at most ${limit} bytes (sun_path is ${SUN_PATH_MAX} bytes${abstract ? ', one is the leading NUL of an abstract name' : ', one is the terminating NUL'})`,
      `${name.length} bytes`,
    );
  }
  const out = Buffer.alloc(2 + 1 + name.length);
  out.writeUInt16LE(constants.AF_UNIX, 0);
  if (!littleEndian) out.writeUInt16BE(constants.AF_UNIX, 0);
  if (abstract) name.copy(out, 3);
  else name.copy(out, 2);
  return out;
}

/** The path of a sockaddr_un ('@name' for abstract names), or undefined for an unnamed socket. */
export function decodeUnix(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string | undefined {
  if (length <= 2) return undefined;
  const name = Buffer.from(bytes.buffer, bytes.byteOffset + offset + 2, length - 2);
  if (name[0] === 0) return `@${name.subarray(1).toString()}`;
  const end = name.indexOf(0);
  return name.subarray(0, end < 0 ? name.length : end).toString();
}
