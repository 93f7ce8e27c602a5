// Raw IP sockets (raw(7)): one protocol number, IPv4 packets built whole (IP_HDRINCL), IPv6 with
// the kernel's checksum at an offset (IPV6_CHECKSUM).
export { type RawIpMessage, RawIpSocket, type RawIpSocketMessage, type RawIpSocketOptions } from './raw-socket.js';
