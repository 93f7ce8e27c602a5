/**
 * Linux "cooked" framing.
 *
 * A SOCK_DGRAM packet socket (packet(7)) hands out data that starts at the network header; the
 * link-layer header is removed and its EtherType arrives separately, in `sll_protocol` of the
 * socket address. Decode such data with `decodePacket(data, { linkType: 'cooked', protocol })`.
 *
 * Captures of cooked sockets (libpcap's "any" device) store that socket address as a pseudo
 * header instead, decoded here:
 * - LINKTYPE_LINUX_SLL (113), 16 bytes: packet type (2), ARPHRD type (2), link-layer address
 *   length (2), address (8, zero padded), protocol (2);
 * - LINKTYPE_LINUX_SLL2 (276), 20 bytes: protocol (2), reserved (2), interface index (4), ARPHRD
 *   type (2), packet type (1), address length (1), address (8).
 * All fields are big-endian.
 */
import { formatMac } from './address.js';
import { asBuffer, type Decoded, fail } from './result.js';

/** packet(7) packet type (`sll_pkttype`): addressed to this host. */
export const PACKET_HOST = 0;
/** packet(7) packet type: a link-layer broadcast. */
export const PACKET_BROADCAST = 1;
/** packet(7) packet type: a link-layer multicast. */
export const PACKET_MULTICAST = 2;
/** packet(7) packet type: addressed to another host (seen in promiscuous mode). */
export const PACKET_OTHERHOST = 3;
/** packet(7) packet type: sent by this host. */
export const PACKET_OUTGOING = 4;

/** Size of the LINKTYPE_LINUX_SLL pseudo header. */
export const SLL_HEADER_LENGTH = 16;
/** Size of the LINKTYPE_LINUX_SLL2 pseudo header. */
export const SLL2_HEADER_LENGTH = 20;

/** A decoded Linux cooked-capture pseudo header (SLL or SLL2). */
export interface LinuxSllHeader {
  /** Which pseudo header it was: 'linux-sll' (16 bytes) or 'linux-sll2' (20 bytes). */
  layer: 'linux-sll' | 'linux-sll2';
  /** Direction / destination class: 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing. */
  packetType: number;
  /** ARPHRD_* link type of the interface (1 Ethernet, 772 loopback, …). */
  hardwareType: number;
  /** The address length the kernel reported (`sll_halen`); may exceed the 8 bytes stored. */
  addressLength: number;
  /** The sender's link-layer address bytes (at most 8), a view. */
  address: Buffer;
  /** `address` as colon-separated hex, e.g. `aa:bb:cc:dd:ee:ff` for Ethernet. */
  addressText: string;
  /** The protocol: an EtherType in host order for Ethernet-like links. */
  protocol: number;
  /** Interface index (SLL2 only). */
  interfaceIndex?: number;
  /** Bytes before the payload: 16 or 20. */
  headerLength: number;
  /** Network-layer bytes after the pseudo header (a view). */
  payload: Buffer;
}

/**
 * Decodes a LINKTYPE_LINUX_SLL (16-byte) pseudo header.
 * @example
 * const sll = decodeLinuxSll(record.data); // from a pcap file with link type 113
 * if (sll.ok && sll.packetType === PACKET_OUTGOING) console.log('sent by us', sll.protocol.toString(16));
 */
export function decodeLinuxSll(data: Uint8Array): Decoded<LinuxSllHeader> {
  const b = asBuffer(data);
  if (b.length < SLL_HEADER_LENGTH) {
    return fail('linux-sll', 'truncated', b.length, `Linux SLL header needs 16 bytes, got ${b.length}`);
  }
  const addressLength = b.readUInt16BE(4);
  const address = b.subarray(6, 6 + Math.min(addressLength, 8));
  return {
    ok: true,
    layer: 'linux-sll',
    packetType: b.readUInt16BE(0),
    hardwareType: b.readUInt16BE(2),
    addressLength,
    address,
    addressText: formatMac(address, 0, address.length),
    protocol: b.readUInt16BE(14),
    headerLength: SLL_HEADER_LENGTH,
    payload: b.subarray(SLL_HEADER_LENGTH),
  };
}

/**
 * Decodes a LINKTYPE_LINUX_SLL2 (20-byte) pseudo header.
 * @example const sll2 = decodeLinuxSll2(record.data); // link type 276: sll2.ok && sll2.interfaceIndex
 */
export function decodeLinuxSll2(data: Uint8Array): Decoded<LinuxSllHeader> {
  const b = asBuffer(data);
  if (b.length < SLL2_HEADER_LENGTH) {
    return fail('linux-sll2', 'truncated', b.length, `Linux SLL2 header needs 20 bytes, got ${b.length}`);
  }
  const addressLength = b.readUInt8(11);
  const address = b.subarray(12, 12 + Math.min(addressLength, 8));
  return {
    ok: true,
    layer: 'linux-sll2',
    packetType: b.readUInt8(10),
    hardwareType: b.readUInt16BE(8),
    addressLength,
    address,
    addressText: formatMac(address, 0, address.length),
    protocol: b.readUInt16BE(0),
    interfaceIndex: b.readUInt32BE(4),
    headerLength: SLL2_HEADER_LENGTH,
    payload: b.subarray(SLL2_HEADER_LENGTH),
  };
}
