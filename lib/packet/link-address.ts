// struct sockaddr_ll as bytes (packet(7)):
//   unsigned short sll_family;   AF_PACKET, host order
//   __be16         sll_protocol; EtherType, network order
//   int            sll_ifindex;  host order, 0 = any interface
//   unsigned short sll_hatype;   ARPHRD_*, host order
//   unsigned char  sll_pkttype;  PACKET_HOST ...
//   unsigned char  sll_halen;    length of sll_addr that is used
//   unsigned char  sll_addr[8];
import { endianness } from 'node:os';
import { checkInteger, invalidArgType, invalidArgValue, outOfRange } from '../core/validate.js';
import { formatMac } from '../decode/address.js';
import { constants } from '../native.js';

const littleEndian = endianness() === 'LE';

/** Size of struct sockaddr_ll. */
export const SOCKADDR_LL_SIZE = 20;

/** A packet socket address (struct sockaddr_ll) with host-order numbers. */
export interface LinkLayerAddress {
  /** EtherType (`sll_protocol`), host order: 0x0800 IPv4, 0x86dd IPv6, 3 (ETH_P_ALL) every protocol. */
  protocol: number;
  /** Interface index (`sll_ifindex`); 0 means every interface (bind) or none. */
  interfaceIndex: number;
  /** ARPHRD_* type of the interface (`sll_hatype`): 1 Ethernet, 772 loopback. */
  hardwareType?: number;
  /** PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4 (`sll_pkttype`). */
  packetType?: number;
  /** Link-layer address (`sll_addr`, at most 8 bytes): bytes, or text such as 'aa:bb:cc:dd:ee:ff'. */
  address?: Uint8Array | string;
}

/** Parses hardware-address text ('aa:bb:cc:dd:ee:ff', '-' separators too, 1 to 8 bytes). */
export function parseHardwareAddress(text: string, name = 'address'): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length < 1 || parts.length > 8 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw invalidArgValue(name, "must be a link-layer address such as 'aa:bb:cc:dd:ee:ff'", text);
  }
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

function checkUint(name: string, value: unknown, max: number): number {
  return checkInteger(name, value, 0, max);
}

/**
 * struct sockaddr_ll, as bind() and sendto() take it on a packet socket.
 * @example encodeLinkLayer({ interfaceIndex: 2, protocol: 0x0800, address: 'ff:ff:ff:ff:ff:ff' }) // 20 bytes
 */
export function encodeLinkLayer(address: LinkLayerAddress): Buffer {
  const out = Buffer.alloc(SOCKADDR_LL_SIZE);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, constants.AF_PACKET, littleEndian);
  // packet(7): sll_protocol is in network byte order.
  view.setUint16(2, checkUint('protocol', address.protocol, 0xffff));
  view.setInt32(4, checkUint('interfaceIndex', address.interfaceIndex, 0x7fffffff), littleEndian);
  view.setUint16(8, checkUint('hardwareType', address.hardwareType ?? 0, 0xffff), littleEndian);
  out[10] = checkUint('packetType', address.packetType ?? 0, 0xff);
  if (address.address !== undefined) {
    if (!(address.address instanceof Uint8Array) && typeof address.address !== 'string') {
      throw invalidArgType('address', 'a string or Uint8Array', address.address);
    }
    const bytes =
      typeof address.address === 'string' ? parseHardwareAddress(address.address) : Buffer.from(address.address);
    if (bytes.length > 8) throw outOfRange('address', 'at most 8 bytes (sll_addr)', `${bytes.length} bytes`);
    out[11] = bytes.length;
    bytes.copy(out, 12);
  }
  return out;
}

/** A decoded sockaddr_ll: numbers in host order, the address as 'aa:bb:…' text. */
export interface DecodedLinkLayerAddress {
  /** EtherType (`sll_protocol`), host order. */
  protocol: number;
  /** Interface index (`sll_ifindex`). */
  interfaceIndex: number;
  /** ARPHRD_* type of the interface (`sll_hatype`): 1 Ethernet, 772 loopback, …. */
  hardwareType: number;
  /** packet(7) packet type (`sll_pkttype`): 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing. */
  packetType: number;
  /** `sll_addr` as lower-case hex text ('' when `sll_halen` is 0). */
  address: string;
}

/**
 * Decodes struct sockaddr_ll; null when the bytes are not one (too short, other family).
 * @example decodeLinkLayer(encodeLinkLayer({ interfaceIndex: 2, protocol: 0x0806 }))?.protocol // 0x0806
 */
export function decodeLinkLayer(
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
): DecodedLinkLayerAddress | null {
  if (length < 12) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  if (view.getUint16(0, littleEndian) !== constants.AF_PACKET) return null;
  const halen = Math.min(bytes[offset + 11] as number, 8, Math.max(0, length - 12));
  return {
    protocol: view.getUint16(2),
    interfaceIndex: view.getInt32(4, littleEndian),
    hardwareType: view.getUint16(8, littleEndian),
    packetType: bytes[offset + 10] as number,
    address: formatMac(bytes, offset + 12, halen),
  };
}
