/**
 * Packet decoders, checksum helpers and small encoders.
 *
 * `decodePacket(data, { linkType })` decodes a whole packet; `decodeEthernet`, `decodeIPv4`, …
 * decode one layer each. No decoder throws or reads past its input: a bad header gives
 * `{ ok: false, error: { layer, reason, offset, message } }`. Payloads are views into the input,
 * so copy them (`Buffer.from(view)`) before the input's memory is reused.
 */
export {
  formatIPv4,
  formatIPv6,
  formatMac,
  type IPAddressInput,
  parseIPv4,
  parseIPv6,
  parseMac,
} from './address.js';
export {
  buildEthernetFrame,
  buildIPv4Packet,
  buildIPv6Packet,
  buildUdpDatagram,
  buildUdpLiteDatagram,
  type EthernetFrameInput,
  type IPv4PacketInput,
  type IPv6PacketInput,
  type UdpDatagramInput,
  type UdpLiteDatagramInput,
  type VlanTagInput,
} from './build.js';
export {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  internetChecksum,
  type TransportChecksumInput,
  transportChecksum,
  verifyTransportChecksum,
} from './checksum.js';
export {
  decodeLinuxSll,
  decodeLinuxSll2,
  type LinuxSllHeader,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  PACKET_OUTGOING,
  SLL_HEADER_LENGTH,
  SLL2_HEADER_LENGTH,
} from './cooked.js';
export {
  decodeEthernet,
  decodeVlanTags,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_VLAN,
  type EthernetHeader,
  MAX_VLAN_TAGS,
  type VlanTag,
  type VlanTags,
} from './ethernet.js';
export { decodeIcmp, decodeIcmpv6, type IcmpEcho, type IcmpHeader } from './icmp.js';
export { decodeIPv4, type IPv4Header, type IPv4Option } from './ipv4.js';
export {
  decodeIPv6,
  IPV6_AUTHENTICATION,
  IPV6_DESTINATION_OPTIONS,
  IPV6_FRAGMENT,
  IPV6_HOP_BY_HOP,
  IPV6_NO_NEXT_HEADER,
  IPV6_ROUTING,
  type IPv6ExtensionHeader,
  type IPv6ExtensionName,
  type IPv6Fragment,
  type IPv6Header,
  type IPv6Routing,
  MAX_IPV6_EXTENSION_HEADERS,
} from './ipv6.js';
export {
  type DecodedPacket,
  type DecodePacketOptions,
  decodePacket,
  type NetworkHeader,
  type PacketLayers,
  type PacketLinkType,
  type TransportHeader,
} from './packet.js';
export type {
  ChecksumStatus,
  Decoded,
  DecodeError,
  DecodeFailure,
  DecodeReason,
  Layer,
  TransportContext,
} from './result.js';
export { decodeTcp, type TcpFlags, type TcpHeader, type TcpOption } from './tcp.js';
export { decodeUdp, type UdpHeader } from './udp.js';
export { decodeUdpLite, type UdpLiteHeader } from './udplite.js';
