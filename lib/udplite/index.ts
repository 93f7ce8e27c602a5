// UDP-Lite (udplite(7), RFC 3828): datagrams whose checksum covers only their first bytes, so a
// damaged tail (audio, video) is still delivered. Linux only, and gone from Linux 7.1.
export { MAX_COVERAGE, UDPLITE_RECV_CSCOV, UDPLITE_SEND_CSCOV } from './coverage.js';
export { type UdpLiteDatagram, type UdpLiteMessage, UdpLiteSocket, type UdpLiteSocketOptions } from './socket.js';
export { UDPLITE_UNAVAILABLE, udpLiteSupported } from './support.js';
