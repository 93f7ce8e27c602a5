// RawIpSocket: a raw IP socket for one protocol number (raw(7), CAP_NET_RAW). What the kernel
// does with it (checked in test/raw-ip.test.ts):
// - receive: every packet of that protocol for this host; over IPv4 with its IP header, over
//   IPv6 without (raw(7), ipv6(7): the IPv6 header is never passed up; its hop limit comes as
//   IPV6_HOPLIMIT instead).
// - send over IPv4: the kernel writes the header, unless IP_HDRINCL is on (always for protocol
//   IPPROTO_RAW, 255): then the packet goes as built (lib/decode's buildIPv4Packet), except that
//   the kernel always fills in the header checksum and total length, and the source address and
//   identification when they are 0 (raw(7)).
// - send over IPv6: the payload only; IPV6_CHECKSUM makes the kernel compute (and on receive
//   verify) a transport checksum at that offset (RFC 3542 §3.1). ICMPv6 sockets refuse the
//   option: the kernel checksums ICMPv6 itself (net/ipv6/raw.c, EINVAL).

import { type SendData, toBytes } from '../core/datagram-socket.js';
import type { ErrorQueueRecord } from '../core/error-queue.js';
import {
  checkFamilyOptions,
  checkTtl,
  INET_OPTION_KEYS,
  InetSocketBase,
  type InetSocketOptions,
  type ReceivedDatagram,
} from '../core/inet-base.js';
import {
  checkBoolean,
  checkInteger,
  checkOptions,
  invalidArgValue,
  optionalBoolean,
  outOfRange,
} from '../core/validate.js';
import { explain, hasCode } from '../errors.js';
import { type IcmpErrorMessage, toIcmpError } from '../icmp/icmp-error.js';
import { explainRawRefused } from '../icmp/privileges.js';
import { constants, native } from '../native.js';

/**
 * Options of {@link RawIpSocket.create}.
 * @example RawIpSocket.create({ family: 4, protocol: 17, headerIncluded: true, receiveBufferSize: 1 << 20 })
 */
export interface RawIpSocketOptions extends InetSocketOptions {
  /** 4 (AF_INET) or 6 (AF_INET6). */
  family: 4 | 6;
  /**
   * IP protocol number, 1..255: what is received, and the protocol field of what is sent. 255
   * (IPPROTO_RAW) can only send, with the header included (raw(7)).
   */
  protocol: number;
  /** IPv4: send whole packets, header included (IP_HDRINCL). Default false (true for protocol 255). */
  headerIncluded?: boolean;
  /** IPv6: the offset of a 16-bit checksum the kernel fills in and verifies (IPV6_CHECKSUM); even. */
  checksumOffset?: number;
  /** TTL / hop limit of sent packets (ignored for IPv4 packets with their own header). */
  ttl?: number;
  /** Deliver ICMP errors about sent packets as 'icmp-error' messages (IP_RECVERR). Default false. */
  receiveErrors?: boolean;
}

/** One received packet. */
export interface RawIpMessage {
  /** Tells packets from error records. */
  kind: 'packet';
  /** The sender. */
  address: string;
  /** 'IPv4' or 'IPv6'. */
  family: 'IPv4' | 'IPv6';
  /** What the kernel delivered: over IPv4 the IP header and payload, over IPv6 the payload. */
  data: Buffer;
  /** The bytes after the IP header (IPv4: after IHL × 4 bytes; IPv6: all of data). */
  payload: Buffer;
  /** The real length of what the kernel had (more than data.length when truncated). */
  size: number;
  /** Longer than maxDatagramSize: `data` holds its start. */
  truncated: boolean;
  /** TTL (IPv4) or hop limit (IPv6) it arrived with. */
  ttl?: number;
  /** Kernel receive time, nanoseconds since the epoch (SO_TIMESTAMPNS). */
  receivedAt?: bigint;
}

/** What a RawIpSocket delivers: packets, and with receiveErrors ICMP errors. */
export type RawIpSocketMessage = RawIpMessage | IcmpErrorMessage;

/**
 * A raw IP socket. Create with {@link RawIpSocket.create}; send with `send()`; receive with
 * `for await`, `messages()` or 'message' events.
 *
 * Events: 'message' ({@link RawIpSocketMessage}), 'error', 'close'.
 * @example
 * const socket = RawIpSocket.create({ family: 4, protocol: 253, headerIncluded: true });
 * const udp = buildUdpDatagram({ source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2, payload });
 * await socket.send(buildIPv4Packet({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 253, payload: udp }), '10.0.0.2');
 */
export class RawIpSocket extends InetSocketBase<RawIpSocketMessage> {
  /** The protocol number, as given to create(). */
  readonly protocol: number;

  private constructor(family: 4 | 6, protocol: number, options: InetSocketOptions) {
    super(family, constants.SOCK_RAW, protocol, options);
    this.protocol = protocol;
  }

  /**
   * Opens a raw IP socket. Options are checked before any system call; without CAP_NET_RAW the
   * kernel's EPERM says how to get it.
   * @example const socket = RawIpSocket.create({ family: 6, protocol: 253, checksumOffset: 2 });
   */
  static create(options: RawIpSocketOptions): RawIpSocket {
    const known = [...INET_OPTION_KEYS, 'protocol', 'headerIncluded', 'checksumOffset', 'ttl', 'receiveErrors'];
    const o = checkFamilyOptions(
      checkOptions('options', options, known, 'RawIpSocket.create()'),
    ) as unknown as RawIpSocketOptions;
    checkInteger('options.protocol', o.protocol, 1, 255);
    if (o.headerIncluded !== undefined) {
      checkBoolean('options.headerIncluded', o.headerIncluded);
      if (o.family !== 4) throw invalidArgValue('options.headerIncluded', 'applies to family 4 only', o.headerIncluded);
    }
    if (o.checksumOffset !== undefined) {
      checkChecksumOffset('options.checksumOffset', o.checksumOffset);
      if (o.family !== 6) throw invalidArgValue('options.checksumOffset', 'applies to family 6 only', o.checksumOffset);
    }
    if (o.ttl !== undefined) checkTtl('options.ttl', o.ttl);
    optionalBoolean('options.receiveErrors', o.receiveErrors);
    let socket: RawIpSocket;
    try {
      socket = new RawIpSocket(o.family, o.protocol, o);
    } catch (error) {
      throw explainRawRefused(error, false);
    }
    socket.configure(o);
    try {
      if (o.headerIncluded) socket.headerIncluded = true;
      if (o.checksumOffset !== undefined) socket.checksumOffset = o.checksumOffset;
      if (o.ttl !== undefined) socket.ttl = o.ttl;
      if (o.receiveErrors) socket.enableErrorQueue();
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  /** IPv4: whether sent packets include their IP header (IP_HDRINCL), read from the kernel. */
  get headerIncluded(): boolean {
    if (this.family !== 4) return false;
    return native.getsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_HDRINCL, 'int') !== 0;
  }

  /** Sets IP_HDRINCL (IPv4 only). */
  set headerIncluded(on: boolean) {
    checkBoolean('headerIncluded', on);
    if (this.family !== 4) throw invalidArgValue('headerIncluded', 'applies to IPv4 sockets only', on);
    native.setsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_HDRINCL, on);
  }

  /** IPv6: the checksum offset (IPV6_CHECKSUM), or -1 when off; read from the kernel. */
  get checksumOffset(): number {
    if (this.family !== 6) return -1;
    return native.getsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_CHECKSUM, 'int');
  }

  /** Sets IPV6_CHECKSUM: an even offset into the payload, or -1 for off. ICMPv6 sockets refuse it. */
  set checksumOffset(offset: number) {
    checkChecksumOffset('checksumOffset', offset);
    if (this.family !== 6) throw invalidArgValue('checksumOffset', 'applies to IPv6 sockets only', offset);
    try {
      native.setsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_CHECKSUM, offset);
    } catch (error) {
      if (hasCode(error, 'EINVAL') && this.protocol === constants.IPPROTO_ICMPV6) {
        throw explain(error, 'ICMPv6 raw sockets refuse IPV6_CHECKSUM: the kernel computes ICMPv6 checksums itself');
      }
      throw error;
    }
  }

  /** Binds to a local address (bind(2): only packets to it are received, and it is the source). Returns this. */
  bind(address?: string): this {
    this.bindTo(address, 0);
    return this;
  }

  /** Sets the default destination; only packets from it are received. Returns this. */
  connect(address: string): this {
    this.connectTo(address, 0);
    return this;
  }

  /**
   * Sends one packet (IPv4 with headerIncluded: a whole packet; otherwise the payload) to
   * `address`, or to the connected peer. Resolves with the bytes sent. Bad arguments and a
   * closed socket throw; kernel errors reject.
   */
  send(packet: SendData, address?: string): Promise<number> {
    const bytes = toBytes(packet, 'packet');
    return this.sendDatagram(bytes, address === undefined ? null : this.encodeDestination(address, 0));
  }

  /** Sends now if the kernel has room: true when sent, false when the buffer is full. Kernel errors throw. */
  trySend(packet: SendData, address?: string): boolean {
    const bytes = toBytes(packet, 'packet');
    return this.trySendDatagram(bytes, address === undefined ? null : this.encodeDestination(address, 0));
  }

  protected override decodeDatagram(datagram: ReceivedDatagram): RawIpMessage {
    const data = datagram.data;
    let payload = data;
    let ttl = datagram.ttl;
    if (this.family === 4 && data.length >= 20) {
      const headerLength = ((data[0] as number) & 0x0f) * 4;
      payload = data.subarray(Math.min(Math.max(headerLength, 20), data.length));
      ttl = data[8];
    }
    return {
      kind: 'packet',
      address: datagram.peer?.address ?? '',
      family: this.family === 6 ? 'IPv6' : 'IPv4',
      data,
      payload,
      size: datagram.size,
      truncated: datagram.truncated,
      ...(ttl === undefined ? {} : { ttl }),
      ...(datagram.receivedAt === undefined ? {} : { receivedAt: datagram.receivedAt }),
    };
  }

  protected override decodeError(record: ErrorQueueRecord): IcmpErrorMessage {
    return toIcmpError(record, this.family);
  }
}

function checkChecksumOffset(name: string, value: unknown): number {
  const offset = checkInteger(name, value, -1, 65534);
  if (offset !== -1 && offset % 2 !== 0) throw outOfRange(name, 'an even offset from 0 to 65534, or -1 for off', value);
  return offset;
}
