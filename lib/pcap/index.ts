/**
 * Classic pcap files: `PcapWriter` writes them (to a path or any Writable, with backpressure),
 * `readPcap` parses them. Files open in tcpdump, tshark and Wireshark.
 */
export {
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  type PcapLinkType,
} from './format.js';
export { type PcapFile, PcapFormatError, type PcapProblem, type PcapRecord, readPcap } from './reader.js';
export { DEFAULT_SNAPLEN, type PcapPacket, PcapWriter, type PcapWriterOptions } from './writer.js';
