// Packet sockets (packet(7)): capture and send at the link layer, with classic BPF filters that
// apply from the first packet, a TPACKET_V3 ring, fanout across threads and processes, and
// kernel statistics. See docs/packet.md.
export {
  type CaptureLinkType,
  Packet,
  PacketBatch,
  type PacketType,
  type VlanTag,
} from './batch.js';
export {
  FANOUT_FLAG_DEFRAG,
  FANOUT_FLAG_IGNORE_OUTGOING,
  FANOUT_FLAG_ROLLOVER,
  type FanoutMode,
  type FanoutOptions,
} from './fanout.js';
export { DROP_ALL, type FilterProgram } from './filter.js';
export {
  type DecodedLinkLayerAddress,
  decodeLinkLayer,
  encodeLinkLayer,
  type LinkLayerAddress,
  SOCKADDR_LL_SIZE,
} from './link-address.js';
export {
  DEFAULT_RING,
  DEFAULT_SNAPLEN,
  type PacketSocketMode,
  type PacketSocketOptions,
  PROTOCOLS,
  type ProtocolName,
  type RingOptions,
} from './options.js';
export { type PacketDatagram, type PacketSendOptions, PacketSocket, type ReceiveMode } from './socket.js';
export type { PacketSocketStats } from './stats.js';
