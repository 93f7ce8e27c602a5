// PingSocket: ICMP echo over a ping socket (SOCK_DGRAM + IPPROTO_ICMP / IPPROTO_ICMPV6, icmp(7),
// no privileges when net.ipv4.ping_group_range allows the group) or a raw ICMP socket (SOCK_RAW,
// CAP_NET_RAW), with the error queue on, so ICMP errors about its requests arrive typed.
//
// What the kernel does differently on the two (checked on Linux 6.18, see test/icmp-kernel.test.ts):
// - ping sockets: the identifier is the socket's "port" (bind, or the autobind of the first send;
//   read back with getsockname), and the kernel writes it into every request whatever we put
//   there (net/ipv4/ping.c ping_v4_sendmsg / ping_v6_sendmsg); it computes the checksum and
//   delivers only echo replies that carry that identifier, without the IP header.
// - raw sockets: the request goes out as written (we fill in the IPv4 checksum; the kernel
//   computes ICMPv6 checksums on raw ICMPv6 sockets, RFC 3542 §3.1), and every ICMP message the
//   host receives is delivered (raw(7)): IPv4 ones with their IP header, IPv6 ones without. An
//   ICMP_FILTER / ICMPV6_FILTER passes only echo replies; replies to other programs are dropped
//   here by identifier.
import type { ErrorQueueRecord } from '../core/error-queue.js';
import {
  checkFamilyOptions,
  checkTtl,
  INET_OPTION_KEYS,
  InetSocketBase,
  type InetSocketOptions,
  type ReceivedDatagram,
} from '../core/inet-base.js';
import type { InetAddress } from '../core/sockaddr.js';
import { checkInteger, checkOneOf, checkOptions, optionalBoolean } from '../core/validate.js';
import { internetChecksum } from '../decode/checksum.js';
import { constants, native } from '../native.js';
import { buildEchoRequest, ECHO_REPLY, ECHO_REQUEST, type EchoRequestInput, readEcho } from './echo.js';
import { type IcmpErrorMessage, toIcmpError } from './icmp-error.js';
import { explainPingRefused, explainRawRefused } from './privileges.js';

/** 'dgram': a ping socket (unprivileged); 'raw': a raw ICMP socket (CAP_NET_RAW). */
export type PingSocketType = 'dgram' | 'raw';

/**
 * Options of {@link PingSocket.create}.
 * @example PingSocket.create({ family: 6, type: 'auto', ttl: 64, receiveBufferSize: 1 << 18 })
 */
export interface PingSocketOptions extends InetSocketOptions {
  /** 4 for ICMP over IPv4, 6 for ICMPv6. */
  family: 4 | 6;
  /**
   * 'auto' (default): a ping socket, and a raw socket when ping sockets are refused
   * (net.ipv4.ping_group_range) and the process has CAP_NET_RAW; 'dgram' or 'raw' for only that.
   */
  type?: 'auto' | PingSocketType;
  /** TTL (IPv4) or hop limit (IPv6) of the requests, 1..255 (default: the system's, usually 64). */
  ttl?: number;
  /** Deliver ICMP errors about the requests as 'icmp-error' messages (IP_RECVERR; default true). */
  receiveErrors?: boolean;
}

/** An echo reply. */
export interface EchoReply {
  /** Tells replies from the socket's other messages. */
  kind: 'echo-reply';
  /** Who answered. */
  address: string;
  /** 'IPv4' or 'IPv6', as node:dgram spells it. */
  family: 'IPv4' | 'IPv6';
  /** The echo identifier (on a ping socket always the socket's own). */
  identifier: number;
  /** The echo sequence number, as sent. */
  sequence: number;
  /** The data after the 8-byte ICMP header (its own memory). */
  data: Buffer;
  /** Bytes of the ICMP message (header + data), what ping prints as "64 bytes from". */
  size: number;
  /** The datagram was longer than maxDatagramSize: `data` holds its start. */
  truncated: boolean;
  /** TTL (IPv4) or hop limit (IPv6) the reply arrived with. */
  ttl?: number;
  /** Kernel receive time, nanoseconds since the epoch (SO_TIMESTAMPNS). */
  receivedAt?: bigint;
}

/** What a PingSocket delivers: echo replies and (with receiveErrors) ICMP errors. */
export type PingMessage = EchoReply | IcmpErrorMessage;

/** ICMP_FILTER / ICMPV6_FILTER value that passes only echo replies (a set bit blocks a type). */
function echoReplyFilter(family: 4 | 6): Buffer {
  if (family === 4) {
    const filter = Buffer.alloc(4);
    filter.writeUInt32LE(~(1 << ECHO_REPLY[4]) >>> 0); // icmp(7): bit n blocks type n (0..31)
    return filter;
  }
  const filter = Buffer.alloc(32, 0xff); // struct icmp6_filter: 256 bits, set = block (RFC 3542 §3.2)
  const type = ECHO_REPLY[6];
  filter.writeUInt32LE((0xffffffff & ~(1 << (type & 31))) >>> 0, (type >> 5) * 4);
  return filter;
}

/**
 * An ICMP echo socket. Create with {@link PingSocket.create}; send requests with `send()`;
 * receive replies and ICMP errors with `for await`, `messages()` or 'message' events.
 *
 * Events: 'message' ({@link PingMessage}), 'error', 'close'.
 * @example
 * const socket = PingSocket.create({ family: 4 });
 * await socket.send({ sequence: 1, payload: Buffer.from('hello') }, '127.0.0.1');
 * for await (const m of socket) {
 *   if (m.kind === 'echo-reply') console.log(`${m.size} bytes from ${m.address}: icmp_seq=${m.sequence} ttl=${m.ttl}`);
 *   break;
 * }
 */
export class PingSocket extends InetSocketBase<PingMessage> {
  /** 'dgram' (ping socket) or 'raw', as opened. */
  readonly type: PingSocketType;
  #identifier: number;
  /** connect()'s destination: the kernel does not report a ping socket's peer. */
  #peer: InetAddress | null = null;

  private constructor(family: 4 | 6, type: PingSocketType, options: InetSocketOptions) {
    const protocol = family === 4 ? constants.IPPROTO_ICMP : constants.IPPROTO_ICMPV6;
    super(family, type === 'raw' ? constants.SOCK_RAW : constants.SOCK_DGRAM, protocol, options);
    this.type = type;
    // A raw socket's identifier is ours to choose: random, like iputils' when it cannot use its pid.
    this.#identifier = type === 'raw' ? Math.floor(Math.random() * 0x10000) : 0;
  }

  /**
   * Opens an ICMP echo socket. Options are checked before any system call. A refused ping
   * socket throws EACCES saying which sysctl and group would allow it (or CAP_NET_RAW); a refused
   * raw socket throws EPERM saying how to get CAP_NET_RAW.
   * @example const socket = PingSocket.create({ family: 4, type: 'dgram', ttl: 3 });
   */
  static create(options: PingSocketOptions): PingSocket {
    const known = [...INET_OPTION_KEYS, 'type', 'ttl', 'receiveErrors'];
    const o = checkFamilyOptions(
      checkOptions('options', options, known, 'PingSocket.create()'),
    ) as unknown as PingSocketOptions;
    const type = o.type ?? 'auto';
    checkOneOf('options.type', type, ['auto', 'dgram', 'raw']);
    if (o.ttl !== undefined) checkTtl('options.ttl', o.ttl);
    optionalBoolean('options.receiveErrors', o.receiveErrors);
    let socket: PingSocket;
    if (type === 'raw') {
      try {
        socket = PingSocket.#open(o.family, 'raw', o);
      } catch (error) {
        throw explainRawRefused(error, true);
      }
    } else {
      try {
        socket = PingSocket.#open(o.family, 'dgram', o);
      } catch (error) {
        if (type === 'dgram' || !(error instanceof Error && (error as NodeJS.ErrnoException).code === 'EACCES')) {
          throw explainPingRefused(error, false);
        }
        try {
          socket = PingSocket.#open(o.family, 'raw', o);
        } catch {
          throw explainPingRefused(error, true);
        }
      }
    }
    socket.configure(o);
    try {
      if (socket.type === 'raw') {
        const [level, name] =
          o.family === 4
            ? [constants.SOL_RAW, constants.ICMP_FILTER]
            : [constants.IPPROTO_ICMPV6, constants.ICMPV6_FILTER];
        native.setsockopt(socket.fd, level as number, name as number, echoReplyFilter(o.family));
      }
      if (o.ttl !== undefined) socket.ttl = o.ttl;
      if (o.receiveErrors ?? true) socket.enableErrorQueue();
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  static #open(family: 4 | 6, type: PingSocketType, options: InetSocketOptions): PingSocket {
    return new PingSocket(family, type, options);
  }

  /**
   * The echo identifier of this socket's requests. On a ping socket it is the socket's bound
   * "port" (getsockname): 0 until bind() or the first send, which picks a free one. On a raw
   * socket it is chosen at random at create(), or set with bind().
   */
  get identifier(): number {
    if (this.type === 'raw') return this.#identifier;
    return this.address().port;
  }

  /**
   * Binds to a local address (default: any) and, optionally, an identifier (0..65535; on a ping
   * socket 0 lets the kernel pick one no other ping socket uses). Returns this.
   * @example const socket = PingSocket.create({ family: 4 }).bind('127.0.0.1');
   */
  bind(address?: string, identifier = 0): this {
    checkInteger('identifier', identifier, 0, 0xffff);
    if (this.type === 'raw') {
      this.bindTo(address, 0);
      if (identifier !== 0) this.#identifier = identifier;
    } else {
      this.bindTo(address, identifier);
    }
    return this;
  }

  /**
   * Sets the default destination (connect(2)): send() then needs no address, and only replies
   * from there are received. Returns this.
   */
  connect(address: string): this {
    this.connectTo(address, 0);
    this.#peer = { address, family: this.family === 6 ? 'IPv6' : 'IPv4', port: 0 };
    return this;
  }

  /**
   * The connected peer, with port 0; ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected. Kept here
   * because the kernel cannot say: getpeername(2) on a ping socket is always ENOTCONN, as it
   * reports a peer only with a destination port (inet_getname), and ICMP has none.
   */
  override remoteAddress(): InetAddress {
    if (this.#peer === null) return super.remoteAddress();
    this.checkOpen(); // ERR_SOCKET_CLOSED after close(), as everywhere
    return { ...this.#peer };
  }

  /**
   * Sends an echo request to `address` (or the connected peer when omitted). Resolves with the
   * bytes sent; waits for room when the send buffer is full. Bad arguments and a closed socket
   * throw; kernel errors reject.
   * @example await socket.send({ sequence: 7, payload: Buffer.alloc(56) }, '::1');
   */
  send(request: EchoRequestInput, address?: string): Promise<number> {
    const [bytes, target] = this.#prepare(request, address);
    return this.sendDatagram(bytes, target);
  }

  /** Sends now if the kernel has room: true when sent, false when the buffer is full. Kernel errors throw. */
  trySend(request: EchoRequestInput, address?: string): boolean {
    const [bytes, target] = this.#prepare(request, address);
    return this.trySendDatagram(bytes, target);
  }

  #prepare(request: EchoRequestInput, address: string | undefined): [Buffer, Buffer | null] {
    const identifier =
      request !== null && typeof request === 'object' && request.identifier !== undefined
        ? request.identifier
        : this.type === 'raw'
          ? this.#identifier
          : 0;
    const bytes = buildEchoRequest(this.family, { ...request, identifier });
    const target = address === undefined ? null : this.encodeDestination(address, 0);
    this.handle; // throws ERR_SOCKET_CLOSED before anything is queued
    return [bytes, target];
  }

  protected override decodeDatagram(datagram: ReceivedDatagram): EchoReply | null {
    let message = datagram.data;
    let ttl = datagram.ttl;
    if (this.type === 'raw' && this.family === 4) {
      // raw(7): IPv4 raw sockets receive the IP header; skip it (IHL words) and check the ICMP
      // checksum, which the kernel does not verify before raw delivery.
      if (message.length < 20) return null;
      const headerLength = ((message[0] as number) & 0x0f) * 4;
      if (headerLength < 20 || message.length < headerLength + 8) return null;
      ttl = message[8];
      message = message.subarray(headerLength);
      if (!datagram.truncated && internetChecksum(message) !== 0) return null;
    }
    const echo = readEcho(message, ECHO_REPLY[this.family]);
    if (echo === null) return null;
    if (this.type === 'raw' && echo.identifier !== this.#identifier) return null; // another program's reply
    const peer = datagram.peer;
    return {
      kind: 'echo-reply',
      address: peer?.address ?? '',
      family: this.family === 6 ? 'IPv6' : 'IPv4',
      identifier: echo.identifier,
      sequence: echo.sequence,
      data: echo.payload,
      size: message.length + (datagram.size - datagram.data.length),
      truncated: datagram.truncated,
      ...(ttl !== undefined ? { ttl } : {}),
      ...(datagram.receivedAt !== undefined ? { receivedAt: datagram.receivedAt } : {}),
    };
  }

  protected override decodeError(record: ErrorQueueRecord): IcmpErrorMessage | null {
    const error = toIcmpError(record, this.family, ECHO_REQUEST[this.family]);
    // A raw socket is told about errors for every ICMP packet the host sent (raw_icmp_error).
    if (this.type === 'raw' && error.echo && error.echo.identifier !== this.#identifier) return null;
    return error;
  }
}
