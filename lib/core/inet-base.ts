// The generic inet plumbing of rawsock's ICMP, raw IP and UDP sockets: family, bind/connect with
// sockaddr_in / sockaddr_in6, buffer sizes, TTL / hop limit, received TTL and kernel timestamps
// (control messages), and the error queue. Nothing protocol-specific lives here.

import { hasCode, notConnected } from '../errors.js';
import { constants, native } from '../native.js';
import { type MessageEntry, messageCount, messageEntry } from './batch-layout.js';
import { type CoalesceOption, coalesceReceiveOptions } from './coalesce.js';
import { type ControlMessage, controlInt, controlTimestampNs, parseControlMessages } from './control-messages.js';
import { DatagramSocket } from './datagram-socket.js';
import { decodeErrorRecord, type ErrorQueueRecord } from './error-queue.js';
import { decodeInet, encodeInet, type InetAddress } from './sockaddr.js';
import { checkInteger, invalidArgType, invalidArgValue } from './validate.js';

/**
 * Options every ICMP and raw IP socket takes (named as on rawsock's other sockets).
 * @example { receiveBufferSize: 1 << 20, sendBufferSize: 1 << 16, maxDatagramSize: 1500, batchSize: 8 }
 */
export interface InetSocketOptions {
  /** Kernel receive buffer in bytes (SO_RCVBUF; SO_RCVBUFFORCE when allowed). Doubled by the kernel (socket(7)). */
  receiveBufferSize?: number;
  /** Kernel send buffer in bytes (SO_SNDBUF; SO_SNDBUFFORCE when allowed). */
  sendBufferSize?: number;
  /** Largest datagram received whole (default 65535); a longer one is cut and flagged `truncated`. */
  maxDatagramSize?: number;
  /** Datagrams read per recvmmsg(2) call (default 8). */
  batchSize?: number;
}

/** A datagram as the recvmmsg reader delivered it, before the subclass interprets it. */
export interface ReceivedDatagram {
  /** Its bytes (a view of memory no later datagram reuses). */
  data: Buffer;
  /** Its real length (more than data.length when truncated). */
  size: number;
  truncated: boolean;
  /** The sender (msg_name). */
  peer: InetAddress | null;
  /** TTL (IPv4, IP_TTL cmsg) or hop limit (IPv6, IPV6_HOPLIMIT cmsg) it arrived with. */
  ttl: number | undefined;
  /** Kernel receive time, nanoseconds since the epoch (SO_TIMESTAMPNS). */
  receivedAt: bigint | undefined;
  /** All its control messages (those above included), for what a subclass asked for besides. */
  control: ControlMessage[];
}

/** Which per-datagram control messages configure() turns on (both by default). */
export interface ReceiveControl {
  /** IP_RECVTTL / IPV6_RECVHOPLIMIT. */
  ttl?: boolean;
  /** SO_TIMESTAMPNS. */
  timestamps?: boolean;
}

const MSG_TRUNC = constants.MSG_TRUNC;
// Room per datagram for IP_TTL / IPV6_HOPLIMIT (CMSG_SPACE(4) = 24), SCM_TIMESTAMPNS
// (CMSG_SPACE(16) = 32), IP_PKTINFO / IPV6_PKTINFO (CMSG_SPACE(20) = 40 at most), IP_TOS /
// IPV6_TCLASS (24) and UDP_GRO (24): 144, rounded up so that nothing is cut (MSG_CTRUNC).
const CONTROL_SIZE = 256;
const MAX_BATCH = 1024;

/**
 * errnos an ICMP error turns into (icmp_err_convert in net/ipv4/icmp.c, icmpv6_err_convert in
 * net/ipv6/icmp.c). With IP_RECVERR the kernel also sets the socket's pending error (sk_err) for
 * each, which the next sendmsg / recvmmsg returns once (sock_error() reads and clears it) before
 * doing its own work: that errno belongs to an earlier datagram, whose record waits in the error
 * queue.
 */
const ICMP_ERRNOS = new Set([
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOPROTOOPT',
  'ECONNREFUSED',
  'EMSGSIZE',
  'EOPNOTSUPP',
  'EHOSTDOWN',
  'ENONET',
  'EACCES',
  'EPROTO',
]);

/** The option names every inet socket's create() takes (InetSocketOptions and `family`). */
export const INET_OPTION_KEYS = [
  'family',
  'receiveBufferSize',
  'sendBufferSize',
  'maxDatagramSize',
  'batchSize',
] as const;

/** Checks the InetSocketOptions fields of `o` (TypeError / RangeError before any system call). */
export function checkInetOptions(o: Record<string, unknown>): void {
  if (o.receiveBufferSize !== undefined) checkInteger('options.receiveBufferSize', o.receiveBufferSize, 1, 2 ** 30);
  if (o.sendBufferSize !== undefined) checkInteger('options.sendBufferSize', o.sendBufferSize, 1, 2 ** 30);
  if (o.maxDatagramSize !== undefined) checkInteger('options.maxDatagramSize', o.maxDatagramSize, 1, 65535);
  if (o.batchSize !== undefined) checkInteger('options.batchSize', o.batchSize, 1, MAX_BATCH);
}

/** `options` is an object whose `family` is 4 or 6; returns it as a record. */
export function checkFamilyOptions(options: unknown): Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as Record<string, unknown>;
  if (o.family !== 4 && o.family !== 6) throw invalidArgValue('options.family', 'must be 4 or 6', o.family);
  checkInetOptions(o);
  return o;
}

/** A TTL / hop limit: 1..255 (ip(7) IP_TTL, ipv6(7) IPV6_UNICAST_HOPS). */
export function checkTtl(name: string, value: unknown): number {
  return checkInteger(name, value, 1, 255);
}

/**
 * Base of the ICMP and raw IP sockets. Subclasses turn each datagram (and, with the error queue
 * on, each error record) into their message type, or null to skip it.
 */
export abstract class InetSocketBase<Message> extends DatagramSocket<Message> {
  readonly #family: 4 | 6;
  #errorQueue = false;
  // The last destination encoded: repeated sends to one peer skip encoding.
  #sendKey = '';
  #sendTarget: Buffer | null = null;

  // The last sender decoded: consecutive datagrams from one peer share one decoded address.
  readonly #peerBytes = Buffer.alloc(28);
  #peerLength = 0;
  #peer: InetAddress | null = null;

  /** `coalesce`: receive coalescing, as UdpLiteSocket's `coalesceMs` (lib/core/coalesce.ts). */
  protected constructor(
    family: 4 | 6,
    type: number,
    protocol: number,
    options: InetSocketOptions,
    coalesce: CoalesceOption = 'auto',
  ) {
    super(family === 6 ? constants.AF_INET6 : constants.AF_INET, type, protocol, {
      slots: options.batchSize ?? 8,
      slotSize: options.maxDatagramSize ?? 65535,
      ...coalesceReceiveOptions(coalesce),
      controlSize: CONTROL_SIZE,
      // recvmmsg(2) with MSG_TRUNC reports a datagram's real length even when it did not fit.
      flags: MSG_TRUNC,
    });
    this.#family = family;
  }

  /**
   * Applies the options after socket(): buffer sizes, and the control messages every datagram
   * carries (its TTL or hop limit, and the kernel's receive timestamp). Closes the socket and
   * rethrows when the kernel refuses one.
   */
  protected configure(options: InetSocketOptions, receive: ReceiveControl = {}): void {
    try {
      const fd = this.fd;
      if (options.receiveBufferSize !== undefined) this.receiveBufferSize = options.receiveBufferSize;
      if (options.sendBufferSize !== undefined) this.sendBufferSize = options.sendBufferSize;
      if (receive.ttl !== false) {
        if (this.#family === 4) native.setsockopt(fd, constants.IPPROTO_IP, constants.IP_RECVTTL, 1);
        else native.setsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_RECVHOPLIMIT, 1);
      }
      if (receive.timestamps !== false) native.setsockopt(fd, constants.SOL_SOCKET, constants.SO_TIMESTAMPNS, 1);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** 4 or 6, as given to create(). */
  get family(): 4 | 6 {
    return this.#family;
  }

  /**
   * Turns on the error queue (IP_RECVERR / IPV6_RECVERR): ICMP errors about datagrams this
   * socket sent, and local errors such as EMSGSIZE, arrive as records (decodeError). ip(7): on
   * raw sockets this "enables passing of all received ICMP errors"; without it datagram sockets
   * see only hard errors, and only when connected.
   */
  protected enableErrorQueue(): void {
    const handle = this.handle;
    if (this.#errorQueue) return;
    if (this.#family === 4) native.setsockopt(handle.fd, constants.IPPROTO_IP, constants.IP_RECVERR, 1);
    else native.setsockopt(handle.fd, constants.IPPROTO_IPV6, constants.IPV6_RECVERR, 1);
    native.attachErrorQueue(handle);
    this.#errorQueue = true;
    // Error-queue batches go to receiveErrors, and the pending-error copy that a racing recvmmsg
    // may return first is dropped, since its record is in the queue (see ICMP_ERRNOS).
    handle.onErrorQueue = (data, meta) => this.#receiveErrors(data, meta);
    const onError = handle.onError as (error: NodeJS.ErrnoException) => void;
    handle.onError = (error) => {
      if (error.syscall === 'recvmmsg' && ICMP_ERRNOS.has(error.code ?? '')) return;
      onError(error);
    };
  }

  /** Whether the error queue is on. */
  protected get errorQueueEnabled(): boolean {
    return this.#errorQueue;
  }

  /** Binds to `address` (default: every address) and `port` (ip(7) bind; a ping socket's port is its identifier). */
  protected bindTo(address: string | undefined, port: number): void {
    if (address !== undefined && typeof address !== 'string')
      throw invalidArgType('address', 'of type string', address);
    const target = encodeInet(this.#family, address ?? (this.#family === 6 ? '::' : '0.0.0.0'), port);
    native.bind(this.handle.fd, target);
  }

  /** connect(2): the default destination, and only datagrams from there are received. */
  protected connectTo(address: string, port: number): void {
    if (typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
    native.connect(this.handle.fd, this.encodeDestination(address, port));
  }

  /** The bound address (getsockname): `{ address, family, port }` as node:dgram gives it. */
  address(): InetAddress {
    return decodeInet(native.getsockname(this.handle.fd)) as InetAddress;
  }

  /** The connected peer (getpeername); ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected, as node:dgram. */
  remoteAddress(): InetAddress {
    try {
      return decodeInet(native.getpeername(this.handle.fd)) as InetAddress;
    } catch (error) {
      if (hasCode(error, 'ENOTCONN')) throw notConnected();
      throw error;
    }
  }

  /** TTL (IPv4, IP_TTL) or hop limit (IPv6, IPV6_UNICAST_HOPS) of sent datagrams, read from the kernel. */
  get ttl(): number {
    const fd = this.handle.fd;
    return this.#family === 4
      ? native.getsockopt(fd, constants.IPPROTO_IP, constants.IP_TTL, 'int')
      : native.getsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_UNICAST_HOPS, 'int');
  }

  /** Sets the TTL / hop limit of sent datagrams, 1..255. */
  set ttl(hops: number) {
    checkTtl('ttl', hops);
    const fd = this.handle.fd;
    if (this.#family === 4) native.setsockopt(fd, constants.IPPROTO_IP, constants.IP_TTL, hops);
    else native.setsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_UNICAST_HOPS, hops);
  }

  /** sockaddr bytes for `address` (checked as text of this family) and `port`, cached for repeats. */
  protected encodeDestination(address: string, port: number): Buffer {
    const key = `${address}\0${port}`;
    if (key === this.#sendKey && this.#sendTarget) return this.#sendTarget;
    if (typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
    const encoded = encodeInet(this.#family, address, port);
    this.#sendKey = key;
    this.#sendTarget = encoded;
    return encoded;
  }

  /**
   * Sends; when the error queue is on and the kernel returns an earlier datagram's pending ICMP
   * error instead (see ICMP_ERRNOS: nothing was sent, and that error is consumed), sends once
   * more, so a datagram never fails for another one's error.
   */
  protected sendDatagram(bytes: Uint8Array, target: Buffer | null, control: Buffer | null = null): Promise<number> {
    const sent = this.sendBytes(bytes, target, control);
    if (!this.#errorQueue) return sent;
    return sent.catch((error: unknown) => {
      if (!this.closed && error instanceof Error && ICMP_ERRNOS.has((error as NodeJS.ErrnoException).code ?? '')) {
        return this.sendBytes(bytes, target, control);
      }
      throw error;
    });
  }

  /** trySend() with the same retry as sendDatagram(). */
  protected trySendDatagram(bytes: Uint8Array, target: Buffer | null, control: Buffer | null = null): boolean {
    try {
      return this.trySendBytes(bytes, target, control);
    } catch (error) {
      if (this.#errorQueue && ICMP_ERRNOS.has((error as NodeJS.ErrnoException).code ?? '')) {
        return this.trySendBytes(bytes, target, control);
      }
      throw error;
    }
  }

  /** One received datagram → the subclass's message, or null to drop it (not for this socket). */
  protected abstract decodeDatagram(datagram: ReceivedDatagram): Message | null;

  /** One error-queue record → the subclass's message, or null to drop it. */
  protected abstract decodeError(record: ErrorQueueRecord): Message | null;

  protected override decodeMessage(): Message {
    throw new Error('unused: InetSocketBase decodes in receiveBatch');
  }

  protected override receiveBatch(data: Buffer, meta: Uint32Array): boolean {
    const count = messageCount(meta);
    let room = true;
    for (let i = 0; i < count; i++) {
      if (!this.deliverDatagram(this.#readDatagram(data, messageEntry(meta, i)))) room = false;
      if (this.closed) return false;
    }
    return room;
  }

  /**
   * Delivers one received datagram as decodeDatagram() turns it into a message; false when a
   * loop is full. A subclass that makes several messages of one datagram (UDP GRO) overrides it.
   */
  protected deliverDatagram(datagram: ReceivedDatagram): boolean {
    const message = this.decodeDatagram(datagram);
    return message === null || this.deliverMessage(message);
  }

  // The sender's address and the control messages sit in `data` too, at auxOffset (batch-layout.ts).
  #readDatagram(data: Buffer, entry: MessageEntry): ReceivedDatagram {
    const { dataOffset: offset, captured, length: size, auxOffset, addressLength, controlLength } = entry;
    const control = controlLength === 0 ? [] : parseControlMessages(data, auxOffset + addressLength, controlLength);
    const { ttl, receivedAt } = readTtlAndTime(control, this.#family);
    return {
      data: data.subarray(offset, offset + captured),
      size,
      truncated: size > captured || (entry.flags & MSG_TRUNC) !== 0,
      peer: this.#decodePeer(data, auxOffset, addressLength),
      ttl,
      receivedAt,
      control,
    };
  }

  #decodePeer(aux: Buffer, offset: number, length: number): InetAddress | null {
    const cached = this.#peerBytes;
    if (
      this.#peer !== null &&
      length === this.#peerLength &&
      aux.compare(cached, 0, length, offset, offset + length) === 0
    ) {
      return this.#peer;
    }
    const peer = decodeInet(aux, offset, length);
    if (peer === null || length > cached.length) return peer;
    aux.copy(cached, 0, offset, offset + length);
    this.#peerLength = length;
    this.#peer = peer;
    return peer;
  }

  #receiveErrors(batch: Buffer, meta: Uint32Array): boolean {
    const count = messageCount(meta);
    const [level, type] =
      this.#family === 4
        ? [constants.IPPROTO_IP, constants.IP_RECVERR]
        : [constants.IPPROTO_IPV6, constants.IPV6_RECVERR];
    let room = true;
    for (let i = 0; i < count; i++) {
      const record = decodeErrorRecord(batch, meta, i, level as number, type as number);
      if (record === null) continue;
      const message = this.decodeError(record);
      if (message === null) continue;
      if (!this.deliverMessage(message)) room = false;
      if (this.closed) return false;
    }
    return room;
  }
}

/** TTL / hop limit and receive timestamp among a datagram's (or error record's) control messages. */
export function readTtlAndTime(control: ControlMessage[], family: 4 | 6): { ttl?: number; receivedAt?: bigint } {
  let ttl: number | undefined;
  let receivedAt: bigint | undefined;
  for (const c of control) {
    if (family === 4 && c.level === constants.IPPROTO_IP && c.type === constants.IP_TTL) ttl = controlInt(c);
    else if (family === 6 && c.level === constants.IPPROTO_IPV6 && c.type === constants.IPV6_HOPLIMIT) {
      ttl = controlInt(c);
    } else if (c.level === constants.SOL_SOCKET && c.type === constants.SCM_TIMESTAMPNS) {
      receivedAt = controlTimestampNs(c);
    }
  }
  return { ...(ttl === undefined ? {} : { ttl }), ...(receivedAt === undefined ? {} : { receivedAt }) };
}
