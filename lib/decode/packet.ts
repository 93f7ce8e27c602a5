/**
 * Whole-packet decoding: link layer → IPv4/IPv6 → UDP, UDP-Lite, TCP, ICMP or ICMPv6.
 */
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE } from './checksum.js';
import { decodeLinuxSll, decodeLinuxSll2, type LinuxSllHeader } from './cooked.js';
import {
  decodeEthernet,
  decodeVlanTags,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  type EthernetHeader,
  type VlanTag,
} from './ethernet.js';
import { decodeIcmp, decodeIcmpv6, type IcmpHeader } from './icmp.js';
import { decodeIPv4, type IPv4Header } from './ipv4.js';
import { decodeIPv6, type IPv6Header } from './ipv6.js';
import { asBuffer, type Decoded, type DecodeError, type TransportContext } from './result.js';
import { decodeTcp, type TcpHeader } from './tcp.js';
import { decodeUdp, type UdpHeader } from './udp.js';
import { decodeUdpLite, type UdpLiteHeader } from './udplite.js';

/**
 * How the packet's bytes start:
 * - `ethernet`: an Ethernet II header (SOCK_RAW packet sockets on Ethernet-like links, DLT_EN10MB);
 * - `cooked`: the network header itself, as a SOCK_DGRAM packet socket delivers it; the EtherType
 *   is `protocol` (the socket address's `sll_protocol`, host order), or inferred from the IP
 *   version nibble when absent;
 * - `linux-sll` / `linux-sll2`: a Linux cooked-capture pseudo header (pcap link types 113 / 276).
 */
export type PacketLinkType = 'ethernet' | 'cooked' | 'linux-sll' | 'linux-sll2';

/**
 * Options of {@link decodePacket}.
 * @example decodePacket(packet.data, { linkType: 'cooked', protocol: 0x86dd })
 */
export interface DecodePacketOptions {
  /** How the bytes start: see {@link PacketLinkType}. */
  linkType: PacketLinkType;
  /** EtherType of a `cooked` packet (0x0800 IPv4, 0x86dd IPv6), in host order. */
  protocol?: number;
  /**
   * The transport checksum was left to offload (the packet socket's TP_STATUS_CSUMNOTREADY):
   * it is reported as 'not-computed' instead of being checked (Packet.decode() sets this).
   */
  checksumNotComputed?: boolean;
}

/** The network layers `decodePacket` understands. */
export type NetworkHeader = IPv4Header | IPv6Header;
/** The transport layers `decodePacket` understands. */
export type TransportHeader = UdpHeader | UdpLiteHeader | TcpHeader | IcmpHeader;

/** The layers of a decoded packet; a layer is absent when not present, not understood, or bad. */
export interface PacketLayers {
  /** The link-layer header (absent for `cooked`). */
  link?: EthernetHeader | LinuxSllHeader;
  /**
   * VLAN tags, outermost first: those of the Ethernet header, or for cooked framing the tags that
   * follow a protocol of 0x8100 / 0x88a8. Empty when untagged.
   */
  vlans: VlanTag[];
  /** The EtherType that selected the network layer (after any VLAN tags). */
  etherType?: number;
  /** The IPv4 or IPv6 header (absent for other EtherTypes). */
  network?: NetworkHeader;
  /**
   * The transport header. Absent for protocols not decoded here, and for IP fragments other than
   * the first (their bytes are not a transport header).
   */
  transport?: TransportHeader;
  /** The innermost payload decoded (a view into the input). */
  payload: Buffer;
}

/**
 * The result of {@link decodePacket}: the layers decoded, and when a layer was bad, `ok: false`
 * with the error (offset relative to the start of the packet). Layers before the bad one are kept.
 */
export type DecodedPacket = PacketLayers &
  (
    | {
        /** Every layer present was decoded. */
        ok: true;
      }
    | {
        /** A layer could not be decoded; the layers before it are filled in. */
        ok: false;
        /** What is wrong, with the offset relative to the whole packet. */
        error: DecodeError;
      }
  );

/**
 * Decodes a whole packet: link, network and transport layers. Never throws on any input.
 * @example
 * const decoded = decodePacket(frame, { linkType: 'ethernet' });
 * if (decoded.ok && decoded.transport?.layer === 'udp') console.log(decoded.transport.destinationPort, decoded.payload);
 * else if (!decoded.ok) console.log(decoded.error.message);
 */
export function decodePacket(data: Uint8Array, options: DecodePacketOptions): DecodedPacket {
  const root = asBuffer(data);
  const layers: PacketLayers = { vlans: [], payload: root };

  let network: Buffer;
  let etherType: number | undefined;
  switch (options.linkType) {
    case 'ethernet':
    case 'linux-sll':
    case 'linux-sll2': {
      const decoder =
        options.linkType === 'ethernet'
          ? decodeEthernet
          : options.linkType === 'linux-sll'
            ? decodeLinuxSll
            : decodeLinuxSll2;
      const link = decoder(root);
      if (!link.ok) return failedAt(layers, root, link, root);
      layers.link = link;
      if (link.layer === 'ethernet') {
        layers.vlans = link.vlans;
        etherType = link.etherType;
      } else {
        etherType = link.protocol;
      }
      network = link.payload;
      break;
    }
    case 'cooked': {
      network = root;
      etherType = options.protocol;
      if (etherType === undefined && root.length > 0) {
        const version = root.readUInt8(0) >> 4;
        if (version === 4) etherType = ETHERTYPE_IPV4;
        else if (version === 6) etherType = ETHERTYPE_IPV6;
      }
      break;
    }
    default:
      throw new TypeError(`unknown link type ${JSON.stringify((options as { linkType: unknown }).linkType)}`);
  }
  if (etherType !== undefined && options.linkType !== 'ethernet') {
    const tags = decodeVlanTags(network, etherType);
    if (!tags.ok) return failedAt(layers, root, tags, network);
    if (tags.vlans.length > 0) {
      layers.vlans = tags.vlans;
      etherType = tags.etherType;
      network = tags.payload;
    }
  }
  if (etherType !== undefined) layers.etherType = etherType;
  layers.payload = network;

  let ip: NetworkHeader;
  if (etherType === ETHERTYPE_IPV4) {
    const result = decodeIPv4(network);
    if (!result.ok) return failedAt(layers, root, result, network);
    ip = result;
  } else if (etherType === ETHERTYPE_IPV6) {
    const result = decodeIPv6(network);
    if (!result.ok) return failedAt(layers, root, result, network);
    ip = result;
  } else {
    return succeeded(layers);
  }
  layers.network = ip;
  layers.payload = ip.payload;

  // Transport bytes: only the first fragment starts with the transport header.
  const fragmentOffset = ip.layer === 'ipv4' ? ip.fragmentOffset : (ip.fragment?.offset ?? 0);
  if (fragmentOffset !== 0) return succeeded(layers);
  const moreFragments = ip.layer === 'ipv4' ? ip.moreFragments : (ip.fragment?.moreFragments ?? false);
  const declared =
    ip.layer === 'ipv4'
      ? ip.totalLength - ip.headerLength
      : ip.truncated
        ? 40 + ip.payloadLength - ip.headerLength
        : ip.payload.length;
  const context: TransportContext = moreFragments
    ? { segmentLength: Number.POSITIVE_INFINITY }
    : {
        source: ip.sourceBytes,
        destination: ip.destinationBytes,
        segmentLength: declared,
        checksumNotComputed: options.checksumNotComputed === true,
      };

  const segment = ip.payload;
  let transport: Decoded<TransportHeader>;
  switch (ip.protocol) {
    case IPPROTO_UDP:
      transport = decodeUdp(segment, context);
      break;
    case IPPROTO_UDPLITE:
      transport = decodeUdpLite(segment, context);
      break;
    case IPPROTO_TCP:
      transport = decodeTcp(segment, context);
      break;
    case IPPROTO_ICMP:
      if (ip.layer !== 'ipv4') return succeeded(layers);
      transport = decodeIcmp(segment, context);
      break;
    case IPPROTO_ICMPV6:
      if (ip.layer !== 'ipv6') return succeeded(layers);
      transport = decodeIcmpv6(segment, context);
      break;
    default:
      return succeeded(layers);
  }
  if (!transport.ok) return failedAt(layers, root, transport, segment);
  layers.transport = transport;
  layers.payload = transport.payload;
  return succeeded(layers);
}

// The layers decoded before `result` failed, with its error (offset from the start of the packet).
function failedAt(
  layers: PacketLayers,
  root: Buffer,
  result: Decoded<unknown> & { ok: false },
  start: Buffer,
): DecodedPacket {
  return {
    ...layers,
    ok: false,
    error: { ...result.error, offset: result.error.offset + (start.byteOffset - root.byteOffset) },
  };
}

// The layers, now complete, as the result. Marked in place rather than copied with a spread:
// V8 builds objects from a spread the slow way, and every later read of the result paid for it.
function succeeded(layers: PacketLayers): DecodedPacket {
  const result = layers as PacketLayers & { ok: true };
  result.ok = true;
  return result;
}
