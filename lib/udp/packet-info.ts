// IP_PKTINFO / IPV6_PKTINFO control messages: which local address and interface a datagram
// arrived on, and on send, which source address and interface it leaves from.
//
// ip(7): struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
// (12 bytes). On receive "ipi_ifindex is the unique index of the interface the packet was
// received on. ipi_spec_dst is the local address of the packet and ipi_addr is the destination
// address in the packet header." On send, ipi_spec_dst is the source address and a non-zero
// ipi_ifindex the outgoing interface (ipi_addr is ignored).
// ipv6(7) / RFC 3542 §6: struct in6_pktinfo { struct in6_addr ipi6_addr; int ipi6_ifindex; }
// (20 bytes): the destination address and arrival interface on receive, the source address and
// outgoing interface on send (either may be left 0: the kernel chooses).
import { endianness } from 'node:os';
import type { ControlMessage, OutgoingControlMessage } from '../core/control-messages.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../decode/address.js';
import { constants } from '../native.js';

const littleEndian = endianness() === 'LE';

/** Where a datagram arrived: from its IP_PKTINFO / IPV6_PKTINFO control message. */
export interface ArrivalInfo {
  /** The destination address in the datagram's IP header (a broadcast or multicast address included). */
  localAddress: string;
  /** The index of the interface it arrived on (`ip link` prints it first). */
  interfaceIndex: number;
}

function readInt(data: Buffer, offset: number): number {
  return littleEndian ? data.readInt32LE(offset) : data.readInt32BE(offset);
}

/** Decodes an IP_PKTINFO (level IPPROTO_IP) or IPV6_PKTINFO (level IPPROTO_IPV6) message; null for others. */
export function readArrival(message: ControlMessage): ArrivalInfo | null {
  const data = message.data;
  if (message.level === constants.IPPROTO_IP && message.type === constants.IP_PKTINFO && data.length >= 12) {
    return { localAddress: formatIPv4(data, 8), interfaceIndex: readInt(data, 0) };
  }
  if (message.level === constants.IPPROTO_IPV6 && message.type === constants.IPV6_PKTINFO && data.length >= 20) {
    return { localAddress: formatIPv6(data, 0), interfaceIndex: readInt(data, 16) };
  }
  return null;
}

/**
 * The IP_PKTINFO / IPV6_PKTINFO message that sends from `source` (an address of this host, or
 * undefined: the kernel picks) out of interface `interfaceIndex` (0: the route decides).
 */
export function departureControl(
  family: 4 | 6,
  source: string | undefined,
  interfaceIndex: number,
): OutgoingControlMessage {
  if (family === 4) {
    const data = Buffer.alloc(12);
    if (littleEndian) data.writeInt32LE(interfaceIndex, 0);
    else data.writeInt32BE(interfaceIndex, 0);
    if (source !== undefined) data.set(parseIPv4(source), 4); // ipi_spec_dst
    return { level: constants.IPPROTO_IP, type: constants.IP_PKTINFO, data };
  }
  const data = Buffer.alloc(20);
  if (source !== undefined) data.set(parseIPv6(source.split('%', 1)[0] as string), 0);
  if (littleEndian) data.writeInt32LE(interfaceIndex, 16);
  else data.writeInt32BE(interfaceIndex, 16);
  return { level: constants.IPPROTO_IPV6, type: constants.IPV6_PKTINFO, data };
}
