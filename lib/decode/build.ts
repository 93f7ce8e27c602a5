/**
 * Small encoders for sending on packet sockets and for tests: Ethernet frames, IPv4 and IPv6
 * headers, UDP and UDP-Lite datagrams with correct checksums. They validate their input and throw
 * TypeError / RangeError on values the wire format cannot carry.
 */

import { checkInteger } from '../core/validate.js';
import { addressBytes, type IPAddressInput, parseMac } from './address.js';
import { IPPROTO_UDP, IPPROTO_UDPLITE, internetChecksum, transportChecksum } from './checksum.js';
import { ETHERTYPE_VLAN } from './ethernet.js';

function macBytes(address: string | Uint8Array): Uint8Array {
  if (typeof address === 'string') return parseMac(address);
  if (address.length !== 6) throw new RangeError(`a MAC address is 6 bytes, got ${address.length}`);
  return address;
}

/**
 * A VLAN tag to insert; see `VlanTag`.
 * @example buildEthernetFrame({ destination, source, etherType: 0x0800, vlans: [{ id: 10, tpid: 0x88a8 }, { id: 20, priority: 5 }], payload })
 */
export interface VlanTagInput {
  /** VLAN identifier 0–4095. */
  id: number;
  /** Priority code point 0–7 (default 0). */
  priority?: number;
  /** Drop eligible indicator (default false). */
  dropEligible?: boolean;
  /** Tag protocol identifier (default 0x8100; 0x88a8 for an 802.1ad service tag). */
  tpid?: number;
}

/**
 * Input of {@link buildEthernetFrame}.
 * @example buildEthernetFrame({ destination: 'ff:ff:ff:ff:ff:ff', source: '02:00:00:00:00:01', etherType: 0x0806, payload: arp })
 */
export interface EthernetFrameInput {
  /** Destination MAC, text or 6 bytes. */
  destination: string | Uint8Array;
  /** Source MAC, text or 6 bytes. */
  source: string | Uint8Array;
  /** EtherType of the payload (0x0800 IPv4, 0x86dd IPv6, …). */
  etherType: number;
  /** Tags to insert, outermost first. */
  vlans?: VlanTagInput[];
  /** The bytes after the header: an IP packet, ARP message, …. */
  payload: Uint8Array;
  /**
   * Pad with zeros to the 60-byte Ethernet minimum (without FCS). Off by default: Linux drivers
   * pad short frames themselves.
   */
  padToMinimum?: boolean;
}

/**
 * Builds an Ethernet II frame (without FCS), with optional stacked VLAN tags.
 * @example
 * const frame = buildEthernetFrame({
 *   destination: '02:00:00:00:00:02',
 *   source: '02:00:00:00:00:01',
 *   etherType: 0x0800,
 *   vlans: [{ id: 100 }],
 *   payload: buildIPv4Packet({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, payload: udp }),
 * });
 */
export function buildEthernetFrame(input: EthernetFrameInput): Buffer {
  checkInteger('etherType', input.etherType, 0, 0xffff);
  const vlans = input.vlans ?? [];
  const headerLength = 14 + 4 * vlans.length;
  const length = Math.max(headerLength + input.payload.length, input.padToMinimum ? 60 : 0);
  const frame = Buffer.alloc(length);
  frame.set(macBytes(input.destination), 0);
  frame.set(macBytes(input.source), 6);
  let offset = 12;
  for (const tag of vlans) {
    checkInteger('VLAN id', tag.id, 0, 4095);
    checkInteger('VLAN priority', tag.priority ?? 0, 0, 7);
    checkInteger('VLAN tpid', tag.tpid ?? ETHERTYPE_VLAN, 0, 0xffff);
    frame.writeUInt16BE(tag.tpid ?? ETHERTYPE_VLAN, offset);
    frame.writeUInt16BE(((tag.priority ?? 0) << 13) | (tag.dropEligible ? 0x1000 : 0) | tag.id, offset + 2);
    offset += 4;
  }
  frame.writeUInt16BE(input.etherType, offset);
  frame.set(input.payload, headerLength);
  return frame;
}

/**
 * Input of {@link buildIPv4Packet}.
 * @example buildIPv4Packet({ source: '192.0.2.1', destination: '192.0.2.2', protocol: 17, payload: udp, ttl: 1, dscp: 46 })
 */
export interface IPv4PacketInput {
  /** Source address, dotted decimal or 4 bytes. */
  source: IPAddressInput;
  /** Destination address, dotted decimal or 4 bytes. */
  destination: IPAddressInput;
  /** IP protocol number of the payload. */
  protocol: number;
  /** The bytes after the header (a UDP datagram, TCP segment, …). */
  payload: Uint8Array;
  /** Time to live (default 64). */
  ttl?: number;
  /** Identification (default 0). */
  identification?: number;
  /** DF flag (default true, as Linux sets it with path MTU discovery). */
  dontFragment?: boolean;
  /** MF flag (default false). */
  moreFragments?: boolean;
  /** Fragment offset in bytes, a multiple of 8 (default 0). */
  fragmentOffset?: number;
  /** Differentiated services code point, 0–63 (default 0). */
  dscp?: number;
  /** Explicit congestion notification bits, 0–3 (default 0). */
  ecn?: number;
  /** Raw option bytes; padded with End of Options List to a multiple of 4 (at most 40). */
  options?: Uint8Array;
}

/**
 * Builds an IPv4 header (checksum filled in) followed by the payload.
 * @example
 * const udp = buildUdpDatagram({ source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 68, destinationPort: 67, payload });
 * const packet = buildIPv4Packet({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, payload: udp });
 */
export function buildIPv4Packet(input: IPv4PacketInput): Buffer {
  const source = addressBytes(input.source);
  const destination = addressBytes(input.destination);
  if (source.length !== 4 || destination.length !== 4) throw new TypeError('IPv4 packets need IPv4 addresses');
  const options = input.options ?? new Uint8Array(0);
  const optionsLength = Math.ceil(options.length / 4) * 4;
  if (optionsLength > 40) throw new RangeError(`IPv4 options are at most 40 bytes, got ${options.length}`);
  const headerLength = 20 + optionsLength;
  const totalLength = headerLength + input.payload.length;
  checkInteger('IPv4 total length', totalLength, 20, 0xffff);
  checkInteger('protocol', input.protocol, 0, 255);
  const ttl = input.ttl ?? 64;
  checkInteger('ttl', ttl, 0, 255);
  const identification = input.identification ?? 0;
  checkInteger('identification', identification, 0, 0xffff);
  const fragmentOffset = input.fragmentOffset ?? 0;
  checkInteger('fragmentOffset', fragmentOffset, 0, 0x1fff * 8);
  if (fragmentOffset % 8 !== 0) throw new RangeError(`fragmentOffset must be a multiple of 8, got ${fragmentOffset}`);
  const dscp = input.dscp ?? 0;
  const ecn = input.ecn ?? 0;
  checkInteger('dscp', dscp, 0, 63);
  checkInteger('ecn', ecn, 0, 3);
  const packet = Buffer.alloc(totalLength);
  packet.writeUInt8(0x40 | (headerLength / 4), 0);
  packet.writeUInt8((dscp << 2) | ecn, 1);
  packet.writeUInt16BE(totalLength, 2);
  packet.writeUInt16BE(identification, 4);
  const flags = ((input.dontFragment ?? true) ? 0x4000 : 0) | (input.moreFragments ? 0x2000 : 0);
  packet.writeUInt16BE(flags | (fragmentOffset / 8), 6);
  packet.writeUInt8(ttl, 8);
  packet.writeUInt8(input.protocol, 9);
  packet.set(source, 12);
  packet.set(destination, 16);
  packet.set(options, 20);
  packet.writeUInt16BE(internetChecksum(packet.subarray(0, headerLength)), 10);
  packet.set(input.payload, headerLength);
  return packet;
}

/**
 * Input of {@link buildIPv6Packet}.
 * @example buildIPv6Packet({ source: 'fe80::1', destination: 'ff02::1', nextHeader: 58, payload: icmpv6, hopLimit: 255 })
 */
export interface IPv6PacketInput {
  /** Source address, IPv6 text or 16 bytes. */
  source: IPAddressInput;
  /** Destination address, IPv6 text or 16 bytes. */
  destination: IPAddressInput;
  /** Next header: the payload's protocol number (or the first extension header's). */
  nextHeader: number;
  /** The bytes after the fixed header (extension headers, if any, then the upper-layer data). */
  payload: Uint8Array;
  /** Hop limit (default 64). */
  hopLimit?: number;
  /** Traffic class byte: DSCP << 2 | ECN (default 0). */
  trafficClass?: number;
  /** Flow label, 20 bits (default 0). */
  flowLabel?: number;
}

/**
 * Builds the fixed 40-byte IPv6 header followed by the payload.
 * @example
 * const udp = buildUdpDatagram({ source: '::1', destination: '::1', sourcePort: 5000, destinationPort: 53, payload });
 * const packet = buildIPv6Packet({ source: '::1', destination: '::1', nextHeader: 17, payload: udp });
 */
export function buildIPv6Packet(input: IPv6PacketInput): Buffer {
  const source = addressBytes(input.source);
  const destination = addressBytes(input.destination);
  if (source.length !== 16 || destination.length !== 16) throw new TypeError('IPv6 packets need IPv6 addresses');
  checkInteger('IPv6 payload length', input.payload.length, 0, 0xffff);
  checkInteger('nextHeader', input.nextHeader, 0, 255);
  const hopLimit = input.hopLimit ?? 64;
  const trafficClass = input.trafficClass ?? 0;
  const flowLabel = input.flowLabel ?? 0;
  checkInteger('hopLimit', hopLimit, 0, 255);
  checkInteger('trafficClass', trafficClass, 0, 255);
  checkInteger('flowLabel', flowLabel, 0, 0xfffff);
  const packet = Buffer.alloc(40 + input.payload.length);
  packet.writeUInt32BE(((6 << 28) | (trafficClass << 20) | flowLabel) >>> 0, 0);
  packet.writeUInt16BE(input.payload.length, 4);
  packet.writeUInt8(input.nextHeader, 6);
  packet.writeUInt8(hopLimit, 7);
  packet.set(source, 8);
  packet.set(destination, 24);
  packet.set(input.payload, 40);
  return packet;
}

/**
 * Input of {@link buildUdpDatagram}.
 * @example buildUdpDatagram({ source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1234, destinationPort: 53, payload, checksum: false })
 */
export interface UdpDatagramInput {
  /** Source IP, for the pseudo-header checksum. */
  source: IPAddressInput;
  /** Destination IP, for the pseudo-header checksum. */
  destination: IPAddressInput;
  /** Source port, 0–65535. */
  sourcePort: number;
  /** Destination port, 0–65535. */
  destinationPort: number;
  /** The data after the 8-byte header. */
  payload: Uint8Array;
  /** Compute the checksum (default true). `false` stores 0, "no checksum" — IPv4 only. */
  checksum?: boolean;
}

function udpHeader(input: UdpDatagramInput, lengthField: number): Buffer {
  checkInteger('sourcePort', input.sourcePort, 0, 0xffff);
  checkInteger('destinationPort', input.destinationPort, 0, 0xffff);
  checkInteger('UDP length', 8 + input.payload.length, 8, 0xffff);
  const datagram = Buffer.alloc(8 + input.payload.length);
  datagram.writeUInt16BE(input.sourcePort, 0);
  datagram.writeUInt16BE(input.destinationPort, 2);
  datagram.writeUInt16BE(lengthField, 4);
  datagram.set(input.payload, 8);
  return datagram;
}

/**
 * Builds a UDP header and payload with the checksum over the IPv4 or IPv6 pseudo-header.
 * @example buildUdpDatagram({ source: '127.0.0.1', destination: '127.0.0.1', sourcePort: 40000, destinationPort: 5000, payload: Buffer.from('hi') })
 */
export function buildUdpDatagram(input: UdpDatagramInput): Buffer {
  const datagram = udpHeader(input, 8 + input.payload.length);
  if (input.checksum === false) {
    if (addressBytes(input.source).length === 16) throw new TypeError('UDP over IPv6 requires a checksum');
    return datagram;
  }
  const { source, destination } = input;
  datagram.writeUInt16BE(transportChecksum({ source, destination, protocol: IPPROTO_UDP, segment: datagram }), 6);
  return datagram;
}

/**
 * Input of {@link buildUdpLiteDatagram}.
 * @example buildUdpLiteDatagram({ source: '::1', destination: '::1', sourcePort: 4000, destinationPort: 5000, payload, coverage: 8 })
 */
export interface UdpLiteDatagramInput extends Omit<UdpDatagramInput, 'checksum'> {
  /**
   * Checksum coverage in bytes from the start of the header (RFC 3828). Absent: full coverage,
   * length field = datagram length (as Linux sends without UDPLITE_SEND_CSCOV). 0: full coverage
   * announced as 0. 8 ≤ N < datagram length: partial coverage, field = N. N ≥ datagram length:
   * full coverage, as the kernel does.
   */
  coverage?: number;
}

/**
 * Builds a UDP-Lite header and payload with the checksum over the pseudo-header and the coverage.
 * @example buildUdpLiteDatagram({ source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 4000, destinationPort: 5000, payload: Buffer.from('hello'), coverage: 12 })
 */
export function buildUdpLiteDatagram(input: UdpLiteDatagramInput): Buffer {
  const length = 8 + input.payload.length;
  let field = length;
  if (input.coverage !== undefined) {
    checkInteger('coverage', input.coverage, 0, 0xffff);
    if (input.coverage !== 0 && input.coverage < 8) {
      throw new RangeError(`UDP-Lite coverage must be 0 or at least 8, got ${input.coverage}`);
    }
    field = Math.min(input.coverage, length);
  }
  const datagram = udpHeader(input, field);
  const { source, destination } = input;
  const checksum = transportChecksum({
    source,
    destination,
    protocol: IPPROTO_UDPLITE,
    segment: datagram,
    coverage: field === 0 ? length : field,
  });
  datagram.writeUInt16BE(checksum, 6);
  return datagram;
}
