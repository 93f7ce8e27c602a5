/**
 * The classic pcap file format (libpcap's savefile, pcap-savefile(5)).
 *
 * A 24-byte global header: magic (0xa1b2c3d4 for microsecond, 0xa1b23c4d for nanosecond
 * timestamps; its byte order is the file's), version 2.4, two zero fields (time zone, accuracy),
 * snap length, link type. Then per packet a 16-byte record header — timestamp seconds, timestamp
 * fraction (µs or ns), captured length, original length — followed by the captured bytes.
 */

/**
 * The snap length rawsock uses when none is given (packet sockets, pcap files, compiled filters):
 * libpcap's MAXIMUM_SNAPLEN, 262144 bytes, what tcpdump captures by default.
 */
export const DEFAULT_SNAPLEN = 262144;

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** pcap link-type numbers (LINKTYPE_*, tcpdump.org/linktypes.html). */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * A link type by name or number:
 * - `ethernet` (LINKTYPE_ETHERNET / DLT_EN10MB, 1): Ethernet II frames, as SOCK_RAW packet
 *   sockets on Ethernet-like interfaces deliver them;
 * - `raw` (LINKTYPE_RAW, 101): bare IPv4/IPv6 packets;
 * - `linux-sll` (LINKTYPE_LINUX_SLL, 113): Linux cooked capture, a 16-byte pseudo header written
 *   from the packet's metadata, then the network-layer data of a SOCK_DGRAM packet socket;
 * - `linux-sll2` (LINKTYPE_LINUX_SLL2, 276): the same with a 20-byte header that adds the
 *   interface index;
 * - any other LINKTYPE_* number: data written as given.
 */
export type PcapLinkType = 'ethernet' | 'raw' | 'linux-sll' | 'linux-sll2' | number;

/** @internal The link-type number of a name or number. */
export function linkTypeNumber(linkType: PcapLinkType): number {
  switch (linkType) {
    case 'ethernet':
      return LINKTYPE_ETHERNET;
    case 'raw':
      return LINKTYPE_RAW;
    case 'linux-sll':
      return LINKTYPE_LINUX_SLL;
    case 'linux-sll2':
      return LINKTYPE_LINUX_SLL2;
    default:
      if (typeof linkType !== 'number' || !Number.isInteger(linkType) || linkType < 0 || linkType > 0xffffffff) {
        throw new TypeError(`unknown pcap link type ${JSON.stringify(linkType)}`);
      }
      return linkType;
  }
}
