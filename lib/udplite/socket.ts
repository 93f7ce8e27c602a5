// UdpLiteSocket: a UDP-Lite socket (udplite(7), RFC 3828) shaped like node:dgram's Socket, on
// rawsock's DatagramSocket (libuv-watched descriptor, recvmmsg batches, sends that wait for room).

import { MESSAGE } from '../core/batch-layout.js';
import { type CoalesceOption, checkCoalesce, coalesceReceiveOptions } from '../core/coalesce.js';
import { DatagramSocket, type SendData, toBytes } from '../core/datagram-socket.js';
import { checkPort, decodeInet, encodeInet, type InetAddress } from '../core/sockaddr.js';
import {
  checkBoolean,
  checkBufferSize,
  checkOneOf,
  checkOptions,
  checkString,
  invalidArgValue,
  optionalBoolean,
  optionalInteger,
  outOfRange,
} from '../core/validate.js';
import { formatIPv4, formatIPv6 } from '../decode/address.js';
import { invalidArgType, notConnected } from '../errors.js';
import { constants, native } from '../native.js';
import { checkCoverage, readCoverage, UDPLITE_RECV_CSCOV, UDPLITE_SEND_CSCOV, writeCoverage } from './coverage.js';
import { explainSocketError } from './support.js';

/**
 * Options of {@link UdpLiteSocket.create}.
 * @example UdpLiteSocket.create({ family: 6, ipv6Only: true, receiveCoverage: 20, receiveBufferSize: 1 << 20, maxDatagramSize: 1500 })
 */
export interface UdpLiteSocketOptions {
  /** 4 for IPv4 (AF_INET), 6 for IPv6 (AF_INET6). */
  family: 4 | 6;
  /** Initial {@link UdpLiteSocket.sendCoverage} (UDPLITE_SEND_CSCOV). Default: whole datagram. */
  sendCoverage?: number;
  /** Initial {@link UdpLiteSocket.receiveCoverage} (UDPLITE_RECV_CSCOV). Default: never set. */
  receiveCoverage?: number;
  /**
   * Kernel receive buffer in bytes (SO_RCVBUF; SO_RCVBUFFORCE when allowed, so net.core.rmem_max
   * does not cap it), like dgram's `recvBufferSize`. The kernel doubles the value (socket(7)).
   */
  receiveBufferSize?: number;
  /** Kernel send buffer in bytes (SO_SNDBUF, or SO_SNDBUFFORCE when allowed). */
  sendBufferSize?: number;
  /** IPv6 only: refuse IPv4-mapped traffic (IPV6_V6ONLY). Default: the system's setting. */
  ipv6Only?: boolean;
  /** SO_REUSEADDR before bind. Default false. */
  reuseAddress?: boolean;
  /**
   * Largest datagram received whole, in bytes (default 65535). A larger one is delivered cut to
   * this size with `truncated: true` and its real `size`, never silently cut.
   */
  maxDatagramSize?: number;
  /** Datagrams read per recvmmsg(2) call (default 32). */
  batchSize?: number;
  /**
   * Receive coalescing (default 'auto'). A number of milliseconds: after a read that emptied the
   * kernel's queue, the socket waits this long before reading again, so that under load datagrams
   * are read many at a time (as a network card's interrupt coalescing does): far less CPU per
   * datagram on a busy socket (bench/udplite: a third), at the price of up to this much added
   * delay. The first datagram after a quiet spell is read at once. 0: off. 'auto': 1 ms, and only
   * after a wake-up that found more than one datagram, so a socket that gets one datagram at a
   * time (request and reply) sees no delay. Size the receive buffer to hold the rest's traffic.
   */
  coalesceMs?: number | 'auto';
}

/** One received datagram. */
export interface UdpLiteMessage {
  /** The payload: a view of its own, never overwritten by later datagrams. */
  data: Buffer;
  /** The sender's address, as node:dgram's rinfo gives it. */
  address: string;
  /** 'IPv4' or 'IPv6', as node:dgram's rinfo gives it. */
  family: 'IPv4' | 'IPv6';
  /** The sender's port. */
  port: number;
  /** The datagram was longer than `maxDatagramSize`: `data` holds its start only. */
  truncated: boolean;
  /** The payload's real length (greater than `data.length` when truncated). */
  size: number;
}

const DEFAULT_MAX_DATAGRAM = 65535;
const DEFAULT_BATCH = 32;
const MAX_BATCH = 1024;
const MAX_COALESCE_MS = 1000;
const MSG_TRUNC = constants.MSG_TRUNC;

const OPTION_NAMES = [
  'family',
  'sendCoverage',
  'receiveCoverage',
  'receiveBufferSize',
  'sendBufferSize',
  'ipv6Only',
  'reuseAddress',
  'maxDatagramSize',
  'batchSize',
  'coalesceMs',
] as const;

function checkSocketOptions(options: unknown): UdpLiteSocketOptions {
  const o = checkOptions('options', options, OPTION_NAMES, 'UdpLiteSocket.create()');
  checkOneOf('options.family', o.family, [4, 6]);
  if (o.sendCoverage !== undefined) checkCoverage('options.sendCoverage', o.sendCoverage);
  if (o.receiveCoverage !== undefined) checkCoverage('options.receiveCoverage', o.receiveCoverage);
  if (o.receiveBufferSize !== undefined) checkBufferSize('options.receiveBufferSize', o.receiveBufferSize);
  if (o.sendBufferSize !== undefined) checkBufferSize('options.sendBufferSize', o.sendBufferSize);
  if (o.ipv6Only !== undefined) {
    checkBoolean('options.ipv6Only', o.ipv6Only);
    if (o.family !== 6) throw invalidArgValue('options.ipv6Only', 'applies to family 6 only', o.ipv6Only);
  }
  optionalBoolean('options.reuseAddress', o.reuseAddress);
  optionalInteger('options.maxDatagramSize', o.maxDatagramSize, 0, 1, 65535);
  optionalInteger('options.batchSize', o.batchSize, 0, 1, MAX_BATCH);
  checkCoalesce('options.coalesceMs', o.coalesceMs, MAX_COALESCE_MS);
  return o as unknown as UdpLiteSocketOptions;
}

/**
 * A UDP-Lite socket. Create with {@link UdpLiteSocket.create}, then `bind()` to receive and
 * `send()` / `connect()` to send. Receive with `for await (const msg of socket)`, with
 * `socket.messages({ signal })`, or with 'message' events.
 *
 * Events: 'message' (UdpLiteMessage), 'listening' (after bind), 'error', 'close'.
 * @example
 * const server = UdpLiteSocket.create({ family: 4, receiveCoverage: 12 });
 * server.bind(5000, '127.0.0.1');
 * server.on('message', (msg) => server.send(msg.data, msg.port, msg.address)); // echo
 * const client = UdpLiteSocket.create({ family: 4, sendCoverage: 12 });
 * await client.send('hello', 5000, '127.0.0.1');
 */
export class UdpLiteSocket extends DatagramSocket<UdpLiteMessage> {
  readonly #family: 4 | 6;
  #receiveCoverageSet = false;
  #connected = false;
  // The last destination given to send(), encoded once: repeated sends to one peer skip encoding.
  #sendPort = -1;
  #sendAddress = '';
  #sendTarget: Buffer | null = null;
  // The last sender decoded: consecutive datagrams from one peer skip decoding its address.
  readonly #peerBytes = Buffer.alloc(28);
  #peerLength = 0;
  #peer: InetAddress | null = null;

  private constructor(family: 4 | 6, maxDatagramSize: number, batchSize: number, coalesce: CoalesceOption) {
    super(family === 6 ? constants.AF_INET6 : constants.AF_INET, constants.SOCK_DGRAM, constants.IPPROTO_UDPLITE, {
      slots: batchSize,
      slotSize: maxDatagramSize,
      ...coalesceReceiveOptions(coalesce),
      // recvmmsg(2) with MSG_TRUNC reports a datagram's real length even when it did not fit.
      flags: MSG_TRUNC,
    });
    this.#family = family;
  }

  /**
   * Opens a UDP-Lite socket. Options are checked before any system call (TypeError / RangeError).
   * On a kernel without UDP-Lite (Linux 7.1 and later) this throws the socket() error, code
   * EPROTONOSUPPORT, whose message says that UDP-Lite is not available in this kernel.
   * @example if (udpLiteSupported()) socket = UdpLiteSocket.create({ family: 4, sendCoverage: 8 }); // header only
   */
  static create(options: UdpLiteSocketOptions): UdpLiteSocket {
    const o = checkSocketOptions(options);
    let socket: UdpLiteSocket;
    try {
      socket = new UdpLiteSocket(
        o.family,
        o.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM,
        o.batchSize ?? DEFAULT_BATCH,
        o.coalesceMs ?? 'auto',
      );
    } catch (error) {
      throw explainSocketError(error);
    }
    try {
      const fd = socket.fd;
      if (o.ipv6Only !== undefined) native.setsockopt(fd, constants.IPPROTO_IPV6, constants.IPV6_V6ONLY, o.ipv6Only);
      if (o.reuseAddress) native.setsockopt(fd, constants.SOL_SOCKET, constants.SO_REUSEADDR, 1);
      if (o.receiveBufferSize !== undefined) socket.receiveBufferSize = o.receiveBufferSize;
      if (o.sendBufferSize !== undefined) socket.sendBufferSize = o.sendBufferSize;
      if (o.sendCoverage !== undefined) socket.sendCoverage = o.sendCoverage;
      if (o.receiveCoverage !== undefined) socket.receiveCoverage = o.receiveCoverage;
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  /** 4 or 6, as given to create(). */
  get family(): 4 | 6 {
    return this.#family;
  }

  /**
   * Checksum coverage of sent datagrams in bytes, counted from the start of the 8-byte header
   * (UDPLITE_SEND_CSCOV, read from the kernel on every access).
   *
   * udplite(7) / RFC 3828: 0 means the whole datagram (the default). 1..7 would not even cover the
   * header: the kernel stores 8 instead, and that is what reads back. A coverage at least the
   * datagram's length (8 + payload) also covers it whole; a smaller one is carried in the header's
   * length field and the checksum covers only that many bytes. Non-integers, negatives and values
   * above 65535 throw a RangeError (the kernel would clamp them silently).
   */
  get sendCoverage(): number {
    return readCoverage(this.handle.fd, UDPLITE_SEND_CSCOV);
  }

  /** Sets UDPLITE_SEND_CSCOV (see the getter): `socket.sendCoverage = 20`. */
  set sendCoverage(bytes: number) {
    checkCoverage('sendCoverage', bytes);
    writeCoverage(this.handle.fd, UDPLITE_SEND_CSCOV, bytes);
  }

  /**
   * The smallest checksum coverage accepted on receive (UDPLITE_RECV_CSCOV). Three states:
   *
   * - `undefined`: never set. The kernel checks nothing: every valid datagram is accepted.
   * - `0`: only fully covered datagrams are accepted; partially covered ones are dropped.
   * - `N` (1..7 read back as 8): datagrams covering fewer than N bytes are dropped.
   *
   * Fully covered datagrams always pass. Drops are silent (counted in the UdpLite lines of
   * /proc/net/snmp). The kernel cannot tell "never set" from 0 through getsockopt, and once set
   * the option cannot be unset, so `undefined` is only readable (and assignable) before the first
   * set; a set value is read from the kernel on every access. Same checks as sendCoverage.
   */
  get receiveCoverage(): number | undefined {
    const fd = this.handle.fd;
    return this.#receiveCoverageSet ? readCoverage(fd, UDPLITE_RECV_CSCOV) : undefined;
  }

  /** Sets UDPLITE_RECV_CSCOV (see the getter): `socket.receiveCoverage = 20`. */
  set receiveCoverage(bytes: number | undefined) {
    if (bytes === undefined) {
      if (this.#receiveCoverageSet) {
        throw invalidArgValue(
          'receiveCoverage',
          'cannot go back to "never set" once set (the kernel has no way to clear UDPLITE_RECV_CSCOV)',
          bytes,
        );
      }
      return;
    }
    checkCoverage('receiveCoverage', bytes);
    writeCoverage(this.handle.fd, UDPLITE_RECV_CSCOV, bytes);
    this.#receiveCoverageSet = true;
  }

  /**
   * Binds to `port` (0 or omitted: an ephemeral port) on `address` (default: every address,
   * '0.0.0.0' or '::') and returns this. Bad arguments and the kernel's refusal (EADDRINUSE,
   * EADDRNOTAVAIL, …) throw. Emits 'listening' on the next tick (docs/sockets.md).
   * @example const port = UdpLiteSocket.create({ family: 4 }).bind(0, '127.0.0.1').address().port;
   */
  bind(port = 0, address?: string): this {
    const target = this.#encode(checkPort(port), address ?? (this.#family === 6 ? '::' : '0.0.0.0'));
    native.bind(this.handle.fd, target);
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  /** The bound address (getsockname): `{ address, family, port }`, port 0 before bind. */
  address(): InetAddress {
    return decodeInet(native.getsockname(this.handle.fd)) as InetAddress;
  }

  /**
   * Sets the default destination (connect(2)) and returns this: send() then needs no address,
   * and only datagrams from that peer are received. `address` defaults to the loopback address.
   * Errors throw; 'connect' is emitted on the next tick.
   */
  connect(port: number, address?: string): this {
    const target = this.#destination(port, address);
    native.connect(this.handle.fd, target);
    this.#connected = true;
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  /** Forgets the connected peer (connect(2) with AF_UNSPEC) and returns this. */
  disconnect(): this {
    const unspec = Buffer.alloc(this.#family === 6 ? 28 : 16); // sa_family 0 = AF_UNSPEC
    native.connect(this.handle.fd, unspec);
    this.#connected = false;
    return this;
  }

  /** The connected peer (getpeername); ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected, as node:dgram. */
  remoteAddress(): InetAddress {
    const fd = this.handle.fd;
    if (!this.#connected) throw notConnected();
    return decodeInet(native.getpeername(fd)) as InetAddress;
  }

  /**
   * Sends one datagram: to `port` and `address` (default: loopback), or to the connected peer
   * when no port is given. Resolves with the bytes the kernel took once it took the datagram; a
   * full send buffer makes it wait for room (never drop). Sends complete in call order, and the
   * send() calls made in one turn of JS leave together, in one sendmmsg(2) per 1,024 datagrams.
   * Bad arguments and a closed socket throw; kernel errors (EMSGSIZE, EDESTADDRREQ, …) reject.
   */
  send(data: SendData, port?: number, address?: string): Promise<number> {
    const bytes = toBytes(data);
    const target = port === undefined ? null : this.#destination(port, address);
    return this.batcher.send(bytes, target, null);
  }

  /**
   * Sends several datagrams with sendmmsg(2), each to its own `port` and `address` (or the
   * connected peer without a port), in order with send(). Resolves with how many were sent (all
   * of them) once the kernel took the last. Bad arguments throw; a kernel error rejects with
   * `index`: the datagram that failed (those before it were sent, the rest were not).
   * @example await socket.sendBatch(chunks.map((data) => ({ data, port: 5000, address: '127.0.0.1' })));
   */
  sendBatch(datagrams: readonly UdpLiteDatagram[]): Promise<number> {
    if (!Array.isArray(datagrams)) throw invalidArgType('datagrams', 'an array', datagrams);
    const count = datagrams.length;
    const datas: Uint8Array[] = new Array(count);
    const targets: (Buffer | null)[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const d = datagrams[i];
      if (d === null || typeof d !== 'object') throw invalidArgType(`datagrams[${i}]`, 'of type object', d);
      datas[i] = toBytes(d.data, `datagrams[${i}].data`);
      targets[i] = d.port === undefined ? null : this.#destination(d.port, d.address);
    }
    return this.batcher.sendMany(datas, targets, null, null);
  }

  /**
   * Sends now if the kernel has room: true when sent, false when the send buffer is full or
   * earlier send()s still wait (nothing was sent). Kernel errors throw.
   */
  trySend(data: SendData, port?: number, address?: string): boolean {
    const bytes = toBytes(data);
    const target = port === undefined ? null : this.#destination(port, address);
    return this.trySendBytes(bytes, target);
  }

  #destination(port: unknown, address: string | undefined): Buffer {
    checkPort(port);
    if (port === 0) throw outOfRange('port', '>= 1 and <= 65535', port);
    return this.#encode(port as number, address ?? (this.#family === 6 ? '::1' : '127.0.0.1'));
  }

  #encode(port: number, address: string): Buffer {
    if (port === this.#sendPort && address === this.#sendAddress && this.#sendTarget) return this.#sendTarget;
    checkString('address', address);
    const encoded = encodeInet(this.#family, address, port);
    this.#sendPort = port;
    this.#sendAddress = address;
    this.#sendTarget = encoded;
    return encoded;
  }

  protected override decodeMessage(data: Buffer, meta: Uint32Array, index: number): UdpLiteMessage {
    const m = index * MESSAGE.stride;
    const offset = meta[m + MESSAGE.dataOffset] as number;
    const captured = meta[m + MESSAGE.captured] as number;
    const size = meta[m + MESSAGE.length] as number;
    const peer = this.#decodePeer(
      data,
      meta[m + MESSAGE.auxOffset] as number,
      meta[m + MESSAGE.addressLength] as number,
    );
    return {
      data: data.subarray(offset, offset + captured),
      address: peer.address,
      family: peer.family,
      port: peer.port,
      truncated: size > captured || ((meta[m + MESSAGE.flags] as number) & MSG_TRUNC) !== 0,
      size,
    };
  }

  #decodePeer(aux: Buffer, offset: number, length: number): InetAddress {
    const cached = this.#peerBytes;
    if (this.#peer !== null && length === this.#peerLength) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (aux[offset + i] !== cached[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#peer;
    }
    const peer = decodeInet(aux, offset, length) ?? unknownPeer(this.#family);
    aux.copy(cached, 0, offset, offset + Math.min(length, cached.length));
    this.#peerLength = length;
    this.#peer = peer;
    return peer;
  }
}

/**
 * One datagram of sendBatch().
 * @example { data: payload, port: 5000, address: '127.0.0.1' }
 */
export interface UdpLiteDatagram {
  /** The bytes: a Buffer, any Uint8Array, or a string (sent as UTF-8). */
  data: SendData;
  /** Destination port; without it, the connected peer. */
  port?: number;
  /** Destination address (default: loopback). */
  address?: string;
}

/** A sender address the kernel did not give (never expected for UDP-Lite). */
function unknownPeer(family: 4 | 6): InetAddress {
  return family === 6
    ? { address: formatIPv6(new Uint8Array(16)), family: 'IPv6', port: 0 }
    : { address: formatIPv4(new Uint8Array(4)), family: 'IPv4', port: 0 };
}
