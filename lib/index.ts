// rawsock: the Linux socket features Node lacks.

export * from './arp/index.js';
export * as bpf from './bpf/index.js';
export * from './congestion/index.js';
export type { SendData } from './core/datagram-socket.js';
export type { NodeSocketLike, SocketTarget } from './core/fd.js';
export type { IterateOptions } from './core/receiver.js';
export type { InetAddress } from './core/sockaddr.js';
export { getsockopt, type SockoptKind, setsockopt } from './core/sockopt.js';
export * from './decode/index.js';
export * from './dhcp/index.js';
export * from './diag/index.js';
export * from './icmp/index.js';
export * from './ip/index.js';
export type { NativeConstants } from './native.js';
export { constants } from './native.js';
export {
  type CaptureLinkType,
  DEFAULT_RING,
  type DecodedLinkLayerAddress,
  DROP_ALL,
  decodeLinkLayer,
  encodeLinkLayer,
  FANOUT_FLAG_DEFRAG,
  FANOUT_FLAG_IGNORE_OUTGOING,
  FANOUT_FLAG_ROLLOVER,
  type FanoutMode,
  type FanoutOptions,
  type FilterProgram,
  type LinkLayerAddress,
  Packet,
  PacketBatch,
  type PacketDatagram,
  type PacketSendOptions,
  PacketSocket,
  type PacketSocketMode,
  type PacketSocketOptions,
  type PacketSocketStats,
  type PacketType,
  PROTOCOLS,
  type ProtocolName,
  type ReceiveMode,
  type RingOptions,
  SOCKADDR_LL_SIZE,
  type VlanTag,
} from './packet/index.js';
export * from './pcap/index.js';
export * from './rtnetlink/index.js';
export { type HeldPort, type HoldPortOptions, holdUdpPort } from './sniffer/hold-port.js';
export {
  type SniffedDatagram,
  type SniffedDatagramFields,
  type UdpEndpoint,
  UdpSniffer,
  type UdpSnifferOptions,
} from './sniffer/udp-sniffer.js';
export * from './traceroute/index.js';
export * from './udp/index.js';
export * from './udplite/index.js';
export * from './unix/index.js';
