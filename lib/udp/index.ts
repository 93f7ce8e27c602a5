// UDP with what node:dgram lacks: arrival address and interface, source selection, received TTL
// and TOS, SO_BINDTODEVICE, path MTU discovery, sendmmsg / recvmmsg batches, GSO and GRO.
export { type UdpOffloadSupport, udpOffloadSupport } from './offload.js';
export type { MtuDiscovery, UdpDatagram, UdpSendOptions, UdpSocketOptions } from './options.js';
export { type UdpMessage, UdpSocket } from './socket.js';
