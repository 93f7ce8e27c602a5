// rawsock: the Linux socket features Node lacks.
export * from './congestion/index.js';
export type { NodeSocketLike, SocketTarget } from './core/fd.js';
export type { IterateOptions } from './core/receiver.js';
export type { InetAddress } from './core/sockaddr.js';
export { getsockopt, type SockoptKind, setsockopt } from './core/sockopt.js';
export * from './decode/index.js';
export { constants } from './native.js';
export * from './pcap/index.js';
export * as bpf from './bpf/index.js';
