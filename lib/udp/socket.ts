// UdpSocket: a UDP socket (udp(7)) shaped like node:dgram's, with what node:dgram lacks: where a
// datagram arrived (IP_PKTINFO / IPV6_RECVPKTINFO) and which source it leaves from, its received
// TTL and TOS, SO_BINDTODEVICE, path MTU discovery, recvmmsg / sendmmsg batches, and the UDP
// segmentation offloads (UDP_SEGMENT, UDP_GRO). Built on InetSocketBase (lib/core/inet-base.ts).

import {
  type ControlMessage,
  controlSmallInt,
  encodeControlMessages,
  intData,
  type OutgoingControlMessage,
  uint16Data,
} from '../core/control-messages.js';
import { type SendData, toBytes } from '../core/datagram-socket.js';
import type { ErrorQueueRecord } from '../core/error-queue.js';
import { InetSocketBase, type ReceivedDatagram } from '../core/inet-base.js';
import { checkInteger, checkPort, invalidArgType } from '../core/validate.js';
import { explain, hasCode } from '../errors.js';
import { constants, native } from '../native.js';
import { explainOffloadError, GRO_MISSING, GSO_MISSING, GSO_REFUSED, requireSegmentation } from './offload.js';
import {
  checkByte,
  checkInterfaceName,
  checkMtuDiscovery,
  checkSegmentSize,
  checkSendOptions,
  checkUdpOptions,
  MTU_DISCOVERY,
  type MtuDiscovery,
  type UdpDatagram,
  type UdpSendOptions,
  type UdpSocketOptions,
} from './options.js';
import { departureControl, readArrival } from './packet-info.js';

/** One received datagram. Fields the socket was not asked to report are undefined. */
export interface UdpMessage {
  /** The payload: a view of its own, never overwritten by later datagrams. */
  data: Buffer;
  /** The sender's address, as node:dgram's rinfo gives it. */
  address: string;
  /** 'IPv4' or 'IPv6', as node:dgram's rinfo gives it. */
  family: 'IPv4' | 'IPv6';
  /** The sender's port. */
  port: number;
  /** The payload's real length (greater than `data.length` when truncated). */
  size: number;
  /** Longer than `maxDatagramSize`: `data` holds its start only. */
  truncated: boolean;
  /** With receivePacketInfo: the destination address in its IP header (IP_PKTINFO ipi_addr, IPV6_PKTINFO ipi6_addr). */
  localAddress: string | undefined;
  /** With receivePacketInfo: the index of the interface it arrived on. */
  interfaceIndex: number | undefined;
  /** With receiveTtl: the TTL (IPv4) or hop limit (IPv6) it arrived with. */
  ttl: number | undefined;
  /** With receiveTos: the TOS byte (IPv4) or traffic class (IPv6), DSCP and ECN bits included. */
  tos: number | undefined;
  /** With receiveTimestamps: kernel receive time, nanoseconds since the epoch (SO_TIMESTAMPNS). */
  receivedAt: bigint | undefined;
  /**
   * With gro: the segment size of the coalesced read this datagram came from (the UDP_GRO
   * control message); undefined when the kernel did not coalesce. With keepCoalesced, `data`
   * holds several datagrams of this size back to back (the last one may be shorter).
   */
  segmentSize: number | undefined;
}

const DEFAULT_BATCH = 32;
// A coalesced GRO read holds up to 64 KiB of datagrams (the largest skb the stack builds).
const GRO_READ_SIZE = 65535;

interface Arrival {
  localAddress: string | undefined;
  interfaceIndex: number | undefined;
  ttl: number | undefined;
  tos: number | undefined;
  segmentSize: number | undefined;
}

// What a datagram without control messages (none asked for) reports: shared, never written.
const NO_ARRIVAL: Readonly<Arrival> = Object.freeze({
  localAddress: undefined,
  interfaceIndex: undefined,
  ttl: undefined,
  tos: undefined,
  segmentSize: undefined,
});

/**
 * A UDP socket. Create with {@link UdpSocket.create}, `bind()` to receive, `send()` /
 * `sendBatch()` to send. Receive with `for await (const message of socket)`, with
 * `socket.messages({ signal })`, or with 'message' events.
 *
 * Events: 'message' ({@link UdpMessage}), 'listening' (after bind), 'connect', 'error', 'close'.
 * @example
 * const server = UdpSocket.create({ family: 4, receivePacketInfo: true }).bind(5300);
 * server.on('message', (m) => server.send(m.data, { port: m.port, address: m.address, source: m.localAddress }));
 */
export class UdpSocket extends InetSocketBase<UdpMessage> {
  readonly #gro: boolean;
  readonly #keepCoalesced: boolean;
  // Interface names given to send(), resolved once (if_nametoindex).
  readonly #interfaceIndexes = new Map<string, number>();

  private constructor(options: UdpSocketOptions) {
    super(
      options.family,
      constants.SOCK_DGRAM,
      constants.IPPROTO_UDP,
      {
        ...options,
        batchSize: options.batchSize ?? DEFAULT_BATCH,
        maxDatagramSize: options.gro ? GRO_READ_SIZE : options.maxDatagramSize,
      },
      options.coalesceMs ?? 'auto',
    );
    this.#gro = options.gro === true;
    this.#keepCoalesced = options.keepCoalesced === true;
  }

  /**
   * Opens a UDP socket. Options are checked before any system call (TypeError / RangeError);
   * the kernel's refusal of one (EPERM, ENODEV for bindToDevice, ENOPROTOOPT for an offload this
   * kernel lacks, with what is missing in the message) closes the socket and is thrown.
   * @example const socket = UdpSocket.create({ family: 6, ipv6Only: true, receivePacketInfo: true, bindToDevice: 'eth0' });
   */
  static create(options: UdpSocketOptions): UdpSocket {
    const o = checkUdpOptions(options);
    const socket = new UdpSocket(o);
    socket.configure(o, { ttl: o.receiveTtl === true, timestamps: o.receiveTimestamps === true });
    try {
      socket.#apply(o);
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  #apply(o: UdpSocketOptions): void {
    const fd = this.fd;
    const v6 = this.family === 6;
    if (o.ipv6Only !== undefined) native.setsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_V6ONLY, o.ipv6Only);
    if (o.reuseAddress) native.setsockopt(fd, constants.SOL_SOCKET, constants.SO_REUSEADDR, 1);
    if (o.reusePort) native.setsockopt(fd, constants.SOL_SOCKET, constants.SO_REUSEPORT, 1);
    if (o.bindToDevice !== undefined) this.bindToDevice = o.bindToDevice;
    if (o.receivePacketInfo) {
      if (v6) native.setsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_RECVPKTINFO, 1);
      else native.setsockopt(fd, constants.IPPROTO_IP, constants.IP_PKTINFO, 1);
    }
    if (o.receiveTos) {
      if (v6) native.setsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_RECVTCLASS, 1);
      else native.setsockopt(fd, constants.IPPROTO_IP, constants.IP_RECVTOS, 1);
    }
    // IPv4 datagrams to a dual-stack IPv6 socket come with the IPv4 control messages, and only
    // those asked for at level IPPROTO_IP (udpv6_recvmsg: ip_cmsg_recv for them, the IPv6 ones
    // otherwise; IPV6_PKTINFO alone covers both).
    if (v6 && o.ipv6Only !== true) {
      if (o.receiveTtl) native.setsockopt(fd, constants.IPPROTO_IP, constants.IP_RECVTTL, 1);
      if (o.receiveTos) native.setsockopt(fd, constants.IPPROTO_IP, constants.IP_RECVTOS, 1);
    }
    if (o.ttl !== undefined) this.ttl = o.ttl;
    if (o.tos !== undefined) this.tos = o.tos;
    if (o.mtuDiscovery !== undefined) this.mtuDiscovery = o.mtuDiscovery;
    if (o.segmentSize !== undefined) this.segmentSize = o.segmentSize;
    if (o.gro) {
      try {
        native.setsockopt(fd, constants.SOL_UDP, constants.UDP_GRO, 1);
      } catch (error) {
        throw explainOffloadError(error, GRO_MISSING);
      }
    }
  }

  /**
   * Binds to `port` (0 or omitted: an ephemeral port) on `address` (default: every address).
   * Returns this; throws on bad arguments and on the kernel's refusal (EADDRINUSE, …). Emits
   * 'listening' on the next tick.
   */
  bind(port = 0, address?: string): this {
    this.bindTo(address, checkPort(port));
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  /**
   * Sets the default destination (connect(2)): send() then needs no address, only datagrams from
   * that peer are received, and `mtu` reads the path MTU. `address` defaults to loopback. Returns
   * this; emits 'connect' on the next tick.
   */
  connect(port: number, address?: string): this {
    this.connectTo(address ?? this.#loopback(), this.#checkDestinationPort(port, 'port'));
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  /** Forgets the connected peer (connect(2) with AF_UNSPEC). Not connected: ERR_SOCKET_DGRAM_NOT_CONNECTED. */
  disconnect(): this {
    this.remoteAddress();
    native.connect(this.handle.fd, Buffer.alloc(this.family === 6 ? 28 : 16)); // sa_family 0 = AF_UNSPEC
    return this;
  }

  /** The interface this socket is bound to (SO_BINDTODEVICE), or undefined; read from the kernel. */
  get bindToDevice(): string | undefined {
    const name = native.getsockopt(this.handle.fd, constants.SOL_SOCKET, constants.SO_BINDTODEVICE, 'string', 16);
    return name === '' ? undefined : name;
  }

  /**
   * Binds to an interface (socket(7) SO_BINDTODEVICE): only datagrams that arrived on it are
   * received, and sends leave through it. undefined or '' unbinds. ENODEV: no such interface.
   */
  set bindToDevice(name: string | undefined) {
    const value = name === undefined ? '' : checkInterfaceName('bindToDevice', name);
    native.setsockopt(this.handle.fd, constants.SOL_SOCKET, constants.SO_BINDTODEVICE, value);
  }

  /** TOS byte (IPv4, IP_TOS) or traffic class (IPv6, IPV6_TCLASS) of sent datagrams, read from the kernel. */
  get tos(): number {
    return this.family === 4
      ? native.getsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_TOS, 'int')
      : native.getsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_TCLASS, 'int');
  }

  /** Sets the TOS byte / traffic class of sent datagrams, 0..255 (DSCP in the upper six bits, ECN below). */
  set tos(value: number) {
    checkByte('tos', value);
    if (this.family === 4) native.setsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_TOS, value);
    else native.setsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_TCLASS, value);
  }

  /** Path MTU discovery mode (IP_MTU_DISCOVER / IPV6_MTU_DISCOVER), read from the kernel. */
  get mtuDiscovery(): MtuDiscovery {
    const value =
      this.family === 4
        ? native.getsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_MTU_DISCOVER, 'int')
        : native.getsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_MTU_DISCOVER, 'int');
    const found = (Object.keys(MTU_DISCOVERY) as MtuDiscovery[]).find((k) => MTU_DISCOVERY[k] === value);
    // IP_PMTUDISC_INTERFACE / OMIT (4, 5) have no name here: report what they behave like.
    return found ?? 'probe';
  }

  /** Sets the path MTU discovery mode: 'do' makes a datagram above the path MTU fail with EMSGSIZE. */
  set mtuDiscovery(mode: MtuDiscovery) {
    const value = MTU_DISCOVERY[checkMtuDiscovery('mtuDiscovery', mode)];
    if (this.family === 4) native.setsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_MTU_DISCOVER, value);
    else native.setsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_MTU_DISCOVER, value);
  }

  /**
   * The path MTU the kernel knows for the connected peer (IP_MTU / IPV6_MTU, ip(7)); ENOTCONN
   * when not connected.
   */
  get mtu(): number {
    return this.family === 4
      ? native.getsockopt(this.handle.fd, constants.IPPROTO_IP, constants.IP_MTU, 'int')
      : native.getsockopt(this.handle.fd, constants.IPPROTO_IPV6, constants.IPV6_MTU, 'int');
  }

  /** The socket's GSO segment size (UDP_SEGMENT), 0 when off; read from the kernel. */
  get segmentSize(): number {
    try {
      return native.getsockopt(this.handle.fd, constants.SOL_UDP, constants.UDP_SEGMENT, 'int');
    } catch (error) {
      throw explainOffloadError(error, GSO_MISSING);
    }
  }

  /** Sets the GSO segment size for every send (0: off). ENOPROTOOPT names the kernel that has it. */
  set segmentSize(bytes: number) {
    checkSegmentSize('segmentSize', bytes, 0);
    try {
      native.setsockopt(this.handle.fd, constants.SOL_UDP, constants.UDP_SEGMENT, bytes);
    } catch (error) {
      throw explainOffloadError(error, GSO_MISSING);
    }
  }

  /** Whether receive offload is on (the gro option). */
  get gro(): boolean {
    return this.#gro;
  }

  /**
   * Sends one datagram: `send(data, port, address?)` as node:dgram, `send(data, options)` with
   * a source address, interface, TTL, TOS or GSO segment size of its own, or `send(data)` on a
   * connected socket. Resolves with the bytes the kernel took; a full send buffer makes it wait
   * (never drop), and sends complete in call order. Bad arguments and a closed socket throw;
   * kernel errors (EMSGSIZE, EINVAL for a source that is not local, …) reject.
   */
  send(data: SendData, portOrOptions?: number | UdpSendOptions, address?: string): Promise<number> {
    const bytes = toBytes(data);
    const options = this.#sendOptions(portOrOptions, address);
    const target = this.#target(options);
    let control: Buffer | null;
    try {
      control = this.#control(options);
    } catch (error) {
      if (isSystemError(error)) return Promise.reject(error); // if_nametoindex: no such interface
      throw error;
    }
    const sent = this.sendDatagram(bytes, target, control);
    return options?.segmentSize === undefined
      ? sent
      : sent.catch((error: unknown) => Promise.reject(explainGso(error)));
  }

  /**
   * Sends now if the kernel has room: true when sent, false when the send buffer is full or
   * earlier sends still wait (nothing was sent). Same arguments as send(); kernel errors throw.
   */
  trySend(data: SendData, portOrOptions?: number | UdpSendOptions, address?: string): boolean {
    const bytes = toBytes(data);
    const options = this.#sendOptions(portOrOptions, address);
    try {
      return this.trySendDatagram(bytes, this.#target(options), this.#control(options));
    } catch (error) {
      throw options?.segmentSize === undefined ? error : explainGso(error);
    }
  }

  /**
   * Sends several datagrams with sendmmsg(2) (up to 1024 per system call), each with its own
   * destination and send options. Resolves with how many were sent (all of them) once the
   * kernel took the last; waits for room when the buffer fills, in order with send(). A kernel
   * error rejects: its `index` is the datagram that failed (those before it were sent) and
   * the rest were not sent.
   * @example await socket.sendBatch(chunks.map((data) => ({ data, port: 5000, address: '192.0.2.9' })));
   */
  sendBatch(datagrams: readonly UdpDatagram[]): Promise<number> {
    if (!Array.isArray(datagrams)) throw invalidArgType('datagrams', 'an instance of Array', datagrams);
    const count = datagrams.length;
    const datas: Uint8Array[] = new Array(count);
    const targets: (Buffer | null)[] = new Array(count);
    const controls: (Buffer | null)[] = new Array(count);
    // Repeats of one options object (or of one destination) share their encoding.
    let previous: UdpDatagram | undefined;
    for (let i = 0; i < count; i++) {
      const d = datagrams[i];
      const name = `datagrams[${i}]`;
      if (d === null || typeof d !== 'object') throw invalidArgType(name, 'of type object', d);
      datas[i] = toBytes(d.data, `${name}.data`);
      const same = previous !== undefined && sameSendOptions(previous, d);
      if (same) {
        targets[i] = targets[i - 1] as Buffer | null;
        controls[i] = controls[i - 1] as Buffer | null;
        continue;
      }
      const options = checkSendOptions(d, name, true);
      targets[i] = this.#target(options);
      try {
        controls[i] = this.#control(options);
      } catch (error) {
        if (isSystemError(error)) return Promise.reject(error);
        throw error;
      }
      previous = d;
    }
    const handle = this.handle;
    if (count === 0) return Promise.resolve(0);
    let done = 0;
    return this.sendInOrder(() => {
      while (done < count) {
        let sent: number;
        try {
          sent = handle.sendBatch(datas, targets, controls, done);
        } catch (error) {
          const failed = datagrams[done]?.segmentSize === undefined ? error : explainGso(error);
          throw Object.assign(failed as Error, { index: done });
        }
        if (sent === 0) return undefined;
        done += sent;
      }
      return count;
    });
  }

  #sendOptions(portOrOptions: number | UdpSendOptions | undefined, address: string | undefined): UdpSendOptions | null {
    if (portOrOptions === undefined) return null;
    if (typeof portOrOptions === 'object' && portOrOptions !== null) return checkSendOptions(portOrOptions, 'options');
    return { port: portOrOptions, ...(address === undefined ? {} : { address }) };
  }

  #target(options: UdpSendOptions | null): Buffer | null {
    if (options === null || options.port === undefined) return null;
    const port = this.#checkDestinationPort(options.port, 'port');
    return this.encodeDestination(options.address ?? this.#loopback(), port);
  }

  #checkDestinationPort(port: unknown, name: string): number {
    return checkInteger(name, port, 1, 65535);
  }

  #loopback(): string {
    return this.family === 6 ? '::1' : '127.0.0.1';
  }

  /** The control messages of one send's options, or null when it needs none. */
  #control(options: UdpSendOptions | null): Buffer | null {
    if (options === null) return null;
    const { source, interface: via, ttl, tos, segmentSize } = options;
    if (
      source === undefined &&
      via === undefined &&
      ttl === undefined &&
      tos === undefined &&
      segmentSize === undefined
    ) {
      return null;
    }
    const v6 = this.family === 6;
    const messages: OutgoingControlMessage[] = [];
    if (source !== undefined || via !== undefined) {
      messages.push(departureControl(this.family, source, via === undefined ? 0 : this.#interfaceIndex(via)));
    }
    if (ttl !== undefined) {
      messages.push(
        v6
          ? { level: constants.IPPROTO_IPV6, type: constants.IPV6_HOPLIMIT, data: intData(ttl) }
          : { level: constants.IPPROTO_IP, type: constants.IP_TTL, data: intData(ttl) },
      );
    }
    if (tos !== undefined) {
      messages.push(
        v6
          ? { level: constants.IPPROTO_IPV6, type: constants.IPV6_TCLASS, data: intData(tos) }
          : { level: constants.IPPROTO_IP, type: constants.IP_TOS, data: intData(tos) },
      );
    }
    if (segmentSize !== undefined) {
      requireSegmentation();
      messages.push({ level: constants.SOL_UDP, type: constants.UDP_SEGMENT, data: uint16Data(segmentSize) });
    }
    return encodeControlMessages(messages);
  }

  #interfaceIndex(via: string | number): number {
    if (typeof via === 'number') return via;
    let index = this.#interfaceIndexes.get(via);
    if (index === undefined) {
      index = native.ifNameToIndex(via);
      this.#interfaceIndexes.set(via, index);
    }
    return index;
  }

  protected override decodeDatagram(datagram: ReceivedDatagram): UdpMessage {
    return this.#message(datagram, datagram.data, datagram.size, datagram.truncated, this.#arrival(datagram.control));
  }

  /** With gro: one coalesced read becomes one message per datagram (unless keepCoalesced). */
  protected override deliverDatagram(datagram: ReceivedDatagram): boolean {
    if (!this.#gro || this.#keepCoalesced) return super.deliverDatagram(datagram);
    const arrival = this.#arrival(datagram.control);
    const segment = arrival.segmentSize;
    const data = datagram.data;
    if (segment === undefined || segment <= 0 || data.length <= segment) {
      return this.deliverMessage(this.#message(datagram, data, datagram.size, datagram.truncated, arrival));
    }
    let room = true;
    for (let at = 0; at < data.length && !this.closed; at += segment) {
      const part = data.subarray(at, Math.min(at + segment, data.length));
      if (!this.deliverMessage(this.#message(datagram, part, part.length, false, arrival))) room = false;
    }
    return room;
  }

  #message(datagram: ReceivedDatagram, data: Buffer, size: number, truncated: boolean, arrival: Arrival): UdpMessage {
    const peer = datagram.peer;
    return {
      data,
      address: peer?.address ?? '',
      family: this.family === 6 ? 'IPv6' : 'IPv4',
      port: peer?.port ?? 0,
      size,
      truncated,
      localAddress: arrival.localAddress,
      interfaceIndex: arrival.interfaceIndex,
      ttl: arrival.ttl ?? datagram.ttl,
      tos: arrival.tos,
      receivedAt: datagram.receivedAt,
      segmentSize: arrival.segmentSize,
    };
  }

  #arrival(control: ControlMessage[]): Arrival {
    if (control.length === 0) return NO_ARRIVAL;
    const arrival: Arrival = {
      localAddress: undefined,
      interfaceIndex: undefined,
      ttl: undefined,
      tos: undefined,
      segmentSize: undefined,
    };
    for (const c of control) {
      if (c.level === constants.SOL_UDP && c.type === constants.UDP_GRO) {
        arrival.segmentSize = controlSmallInt(c);
      } else if (c.level === constants.IPPROTO_IP) {
        // An IPv6 socket receives IPv4-mapped datagrams with the IPv4 control messages.
        if (c.type === constants.IP_PKTINFO) Object.assign(arrival, readArrival(c));
        else if (c.type === constants.IP_TOS) arrival.tos = controlSmallInt(c);
        else if (c.type === constants.IP_TTL) arrival.ttl = controlSmallInt(c);
      } else if (c.level === constants.IPPROTO_IPV6) {
        if (c.type === constants.IPV6_PKTINFO) Object.assign(arrival, readArrival(c));
        else if (c.type === constants.IPV6_TCLASS) arrival.tos = controlSmallInt(c);
        else if (c.type === constants.IPV6_HOPLIMIT) arrival.ttl = controlSmallInt(c);
      }
    }
    return arrival;
  }

  // The error queue is never turned on for UDP sockets: nothing to decode.
  protected override decodeError(_record: ErrorQueueRecord): UdpMessage | null {
    return null;
  }
}

/** Two datagrams of one batch that send the same way (same destination and options). */
function sameSendOptions(a: UdpDatagram, b: UdpDatagram): boolean {
  return (
    a.port === b.port &&
    a.address === b.address &&
    a.source === b.source &&
    a.interface === b.interface &&
    a.ttl === b.ttl &&
    a.tos === b.tos &&
    a.segmentSize === b.segmentSize
  );
}

/** A kernel's answer (it names its system call), as opposed to an argument error. */
function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

function explainGso(error: unknown): unknown {
  return hasCode(error, 'EINVAL') ? explain(error, GSO_REFUSED) : error;
}
