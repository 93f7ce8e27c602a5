// AF_UNIX SOCK_DGRAM sockets (unix(7)): what node:dgram does not offer. Filesystem paths and
// abstract names ('@name'), autobind so replies can come back, SO_PASSCRED credentials, sends that
// wait for the receiver instead of dropping, and a socket file that is removed by whoever made it.
import { lstatSync, unlinkSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { MESSAGE } from '../core/batch-layout.js';
import { getBufferSize } from '../core/buffer-size.js';
import { DatagramSocket, type SendData, toBytes } from '../core/datagram-socket.js';
import { deprecate } from '../core/deprecate.js';
import type { SendBatcherHooks } from '../core/send-batcher.js';
import { decodeUnix, encodeUnix } from '../core/sockaddr.js';
import {
  checkBufferSize,
  checkOptions,
  invalidArgValue,
  optionalBoolean,
  optionalInteger,
  outOfRange,
} from '../core/validate.js';
import { hasCode, invalidArgType, notConnected } from '../errors.js';
import { constants, native } from '../native.js';
import { CREDENTIALS_CONTROL_SIZE } from './credentials.js';
import { explainBindError, explainPeerError, probePath } from './errors.js';
import { UnixDatagramMessage } from './message.js';
import { RoomWaiter } from './room-waiter.js';

/**
 * Options of UnixDatagramSocket.create().
 * @example UnixDatagramSocket.create({ passCredentials: true, maxDatagramSize: 8192, autobind: false })
 */
export interface UnixDatagramSocketOptions {
  /**
   * SO_PASSCRED: every received message carries the sender's pid, uid and gid (`credentials`),
   * filled in by the kernel. Default false.
   */
  passCredentials?: boolean;
  /**
   * An unbound socket binds itself to an abstract name the kernel picks ('@' and 5 hex digits)
   * on its first connect() or send(), the way UDP picks an ephemeral port, so the receiver can
   * reply (unix(7): an unbound sender cannot receive replies). false sends from an unnamed socket:
   * the receiver then sees no sender address. Default true.
   */
  autobind?: boolean;
  /**
   * Bytes kept of each received datagram (the recvmmsg slot size, default 65,536). A longer
   * datagram arrives cut, with `truncated` true and its real `size`.
   */
  maxDatagramSize?: number;
  /**
   * The old name of `maxDatagramSize`.
   * @deprecated Use maxDatagramSize (RAWSOCK_DEP0002, docs/sockets.md).
   */
  maxMessageSize?: number;
  /** Datagrams read per recvmmsg(2) call (default 32). */
  batchSize?: number;
  /**
   * Receive coalescing in milliseconds (default 0: off), as on UDP-Lite sockets: after a read
   * that emptied the queue the socket waits this long before reading again (docs/sockets.md).
   */
  coalesceMs?: number;
  /** SO_RCVBUF in bytes (SO_RCVBUFFORCE when allowed); see receiveBufferSize. */
  receiveBufferSize?: number;
  /**
   * SO_SNDBUF in bytes (the kernel doubles it, socket(7)). It bounds the largest datagram this
   * socket can send (maxSendSize: the doubled value minus 32) and the bytes it may have queued at
   * receivers. Above net.core.wmem_max it needs CAP_NET_ADMIN (SO_SNDBUFFORCE).
   */
  sendBufferSize?: number;
}

/**
 * Options of bind().
 * @example UnixDatagramSocket.create().bind('/run/myapp/events.sock', { removeStale: true })
 */
export interface UnixBindOptions {
  /**
   * When a socket file is already at the path but no socket is bound to it any more (its owner
   * exited without removing it, so bind(2) fails with EADDRINUSE), remove it and bind. A path
   * that is not a socket (a regular file, a directory, a symbolic link) or a socket somebody is
   * bound to is never removed. Default false.
   */
  removeStale?: boolean;
}

/**
 * One datagram of sendBatch(): its bytes and, on an unconnected socket, where it goes.
 * @example { data: 'app.requests:1|c', path: '/run/statsd.sock' }
 */
export interface UnixDatagram {
  /** The bytes: a Buffer, any Uint8Array, or a string (sent as UTF-8). */
  data: SendData;
  /** The receiver's path or '@abstract' name; without it, the connected peer. */
  path?: string;
}

// sockaddr_un with the family only: bind(2) with it is autobind (unix(7)).
const AUTOBIND_ADDRESS = (() => {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(constants.AF_UNIX);
  if (new Uint16Array(new Uint8Array([1, 0]).buffer)[0] !== 1) out.writeUInt16BE(constants.AF_UNIX);
  return out;
})();
const UNSPEC_ADDRESS = Buffer.alloc(16); // AF_UNSPEC: dissolves a datagram association (connect(2))

const OPTION_NAMES = [
  'passCredentials',
  'autobind',
  'maxDatagramSize',
  'maxMessageSize',
  'batchSize',
  'coalesceMs',
  'receiveBufferSize',
  'sendBufferSize',
];

/**
 * A Unix datagram socket.
 *
 * Receive with `for await (const message of socket)` (or `socket.messages({ signal })`) or the
 * 'message' event; each message has `data`, `sender`, and `credentials` with `passCredentials`.
 * Reading starts with the first listener or loop; until then datagrams wait in the kernel.
 *
 * Sending never drops: Unix datagrams are flow-controlled (unix(7)), so when the receiver's queue
 * (net.unix.max_dgram_qlen datagrams) is full, send() waits until it has room.
 * @example
 * const syslog = UnixDatagramSocket.create().connect('/dev/log');
 * await syslog.send('<14>myapp: hello from node');
 * syslog.close();
 */
export class UnixDatagramSocket extends DatagramSocket<UnixDatagramMessage> {
  readonly #autobind: boolean;
  #bound = false;
  #connected = false;
  #peer: string | undefined;
  /** The socket file bind() created, to remove on close() if it is still that file. */
  #created: { path: string; dev: bigint; ino: bigint } | undefined;
  /** Waits for room at a receiver that sends to a path found full (unconnected sends). */
  readonly #roomWaiter = new RoomWaiter();
  #lastPath: string | undefined;
  #lastAddress: Uint8Array | undefined;

  /**
   * A new, unbound Unix datagram socket.
   * @example const socket = UnixDatagramSocket.create().bind('@myapp'); // abstract name, no file
   */
  static create(options: UnixDatagramSocketOptions = {}): UnixDatagramSocket {
    return new UnixDatagramSocket(options);
  }

  private constructor(options: UnixDatagramSocketOptions) {
    const o = checkOptions('options', options, OPTION_NAMES, 'UnixDatagramSocket.create()', true);
    if (o.maxMessageSize !== undefined) {
      deprecate(
        'RAWSOCK_DEP0002',
        'UnixDatagramSocket: maxMessageSize and maxDatagramSize (getter) are deprecated: use the maxDatagramSize option and maxSendSize',
      );
      if (o.maxDatagramSize !== undefined) {
        throw invalidArgValue(
          'options.maxMessageSize',
          'is the old name of maxDatagramSize: give one of them',
          o.maxMessageSize,
        );
      }
    }
    const sizeName = o.maxMessageSize !== undefined ? 'options.maxMessageSize' : 'options.maxDatagramSize';
    const slotSize = optionalInteger(sizeName, o.maxDatagramSize ?? o.maxMessageSize, 65536, 1, 16 << 20);
    const slots = optionalInteger('options.batchSize', o.batchSize, 32, 1, 1024);
    if (slotSize * slots > 64 << 20) {
      throw outOfRange(`${sizeName} * options.batchSize`, '<= 64 MiB', slotSize * slots);
    }
    const coalesceMs = optionalInteger('options.coalesceMs', o.coalesceMs, 0, 0, 1000);
    const passCredentials = optionalBoolean('options.passCredentials', o.passCredentials);
    const autobind = optionalBoolean('options.autobind', o.autobind, true);
    if (o.receiveBufferSize !== undefined) checkBufferSize('options.receiveBufferSize', o.receiveBufferSize);
    if (o.sendBufferSize !== undefined) checkBufferSize('options.sendBufferSize', o.sendBufferSize);
    super(constants.AF_UNIX, constants.SOCK_DGRAM, 0, {
      slots,
      slotSize,
      coalesceMs,
      controlSize: passCredentials ? CREDENTIALS_CONTROL_SIZE : 0,
      // unix(7): MSG_TRUNC on receive reports the real length of a datagram longer than the slot.
      flags: constants.MSG_TRUNC,
      budget: 8,
    });
    this.#autobind = autobind;
    try {
      if (passCredentials) native.setsockopt(this.fd, constants.SOL_SOCKET, constants.SO_PASSCRED, 1);
      if (o.receiveBufferSize !== undefined) this.receiveBufferSize = o.receiveBufferSize as number;
      if (o.sendBufferSize !== undefined) this.sendBufferSize = o.sendBufferSize as number;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /**
   * Binds to a filesystem path or an abstract name ('@name', per network namespace, never a file).
   * Without a path: autobind, to an abstract name the kernel picks (see address()).
   * A path longer than sun_path allows is a RangeError before any system call; the kernel's
   * refusal throws. Returns this; 'listening' is emitted on the next tick (docs/sockets.md).
   * @example socket.bind('/tmp/app.sock', { removeStale: true }); socket.address() // '/tmp/app.sock'
   */
  bind(path?: string, options: UnixBindOptions = {}): this {
    const fd = this.handle.fd;
    if (path === undefined) {
      try {
        native.bind(fd, AUTOBIND_ADDRESS);
      } catch (error) {
        throw explainBindError(error, '(autobind)', this.address());
      }
      this.#bound = true;
      process.nextTick(() => this.emit('listening'));
      return this;
    }
    const address = encodeUnix(path);
    try {
      native.bind(fd, address);
    } catch (error) {
      if (!(options.removeStale && hasCode(error, 'EADDRINUSE') && !path.startsWith('@'))) {
        throw explainBindError(error, path, this.address());
      }
      // Only a socket file nobody is bound to goes; lstat never follows a symbolic link.
      if (probePath(path).state !== 'stale') throw explainBindError(error, path, this.address());
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if (!hasCode(unlinkError, 'ENOENT')) throw unlinkError;
      }
      try {
        native.bind(fd, address);
      } catch (retryError) {
        throw explainBindError(retryError, path, this.address());
      }
    }
    this.#bound = true;
    if (!path.startsWith('@')) {
      const stats = lstatSync(path, { bigint: true });
      this.#created = { path: resolvePath(path), dev: stats.dev, ino: stats.ino };
    }
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  /**
   * Sends every later datagram without a path to `path`, and receives only from it (connect(2)
   * on a datagram socket). Errors say what is at the path: nothing (ENOENT), a socket file nobody
   * is bound to (ECONNREFUSED), a stream socket (EPROTOTYPE).
   * @example UnixDatagramSocket.create().connect('/dev/log')
   */
  connect(path: string): this {
    const address = encodeUnix(path);
    const fd = this.handle.fd;
    this.#autobindIfNeeded();
    try {
      native.connect(fd, address);
    } catch (error) {
      throw explainPeerError(error, path);
    }
    this.#connected = true;
    this.#peer = path;
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  /** Dissolves the association made by connect(); datagrams from anyone are received again. */
  disconnect(): this {
    native.connect(this.handle.fd, UNSPEC_ADDRESS);
    this.#connected = false;
    this.#peer = undefined;
    return this;
  }

  /**
   * The bound name (getsockname): a path, '@name' for an abstract one, undefined when unbound.
   * A method, as on every rawsock socket and node:dgram (it was a getter before 0.2).
   */
  address(): string | undefined {
    return decodeUnix(native.getsockname(this.handle.fd));
  }

  /** The peer set by connect(); ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected, as node:dgram. */
  remoteAddress(): string {
    this.checkOpen();
    if (!this.#connected) throw notConnected();
    return this.#peer as string;
  }

  /** The largest datagram this socket can send, in bytes (unix(7): SO_SNDBUF minus 32). */
  get maxSendSize(): number {
    return getBufferSize(this.handle.fd, 'send') - 32;
  }

  /**
   * The old name of maxSendSize (not the receive limit, which the maxDatagramSize option sets).
   * @deprecated Use maxSendSize (RAWSOCK_DEP0002, docs/sockets.md).
   */
  get maxDatagramSize(): number {
    deprecate(
      'RAWSOCK_DEP0002',
      'UnixDatagramSocket: maxMessageSize and maxDatagramSize (getter) are deprecated: use the maxDatagramSize option and maxSendSize',
    );
    return this.maxSendSize;
  }

  /**
   * Sends one datagram to `path`, or to the connected peer without it. Resolves with its length
   * once the kernel has queued it at the receiver. When the receiver's queue is full it waits for
   * room (never drops). Sends complete in call order, and the send() calls made in one turn of JS
   * leave together, in one sendmmsg(2) per 1,024 datagrams.
   */
  send(data: SendData, path?: string): Promise<number> {
    // Argument errors and a closed socket throw here; what the kernel refuses rejects.
    const bytes = toBytes(data);
    const address = path === undefined ? null : this.#encode(path);
    this.checkOpen();
    try {
      this.#autobindIfNeeded();
      return this.batcher.send(bytes, address, null, path);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends several datagrams with sendmmsg(2), each to its `path` or to the connected peer, in
   * order with send(). Resolves with how many were sent (all of them) once the kernel took the
   * last; waits for room when a receiver is full. A kernel error rejects, explained as send()'s
   * are, with `index`: the datagram that failed (those before it were sent, the rest were not).
   * @example await socket.sendBatch(lines.map((data) => ({ data })));
   */
  sendBatch(datagrams: readonly UnixDatagram[]): Promise<number> {
    // As send(): argument errors and a closed socket throw; what the kernel refuses rejects.
    if (!Array.isArray(datagrams)) throw invalidArgType('datagrams', 'an array', datagrams);
    const count = datagrams.length;
    const datas: Uint8Array[] = new Array(count);
    const addresses: (Uint8Array | null)[] = new Array(count);
    const paths: (string | undefined)[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const d = datagrams[i];
      if (d === null || typeof d !== 'object') throw invalidArgType(`datagrams[${i}]`, 'of type object', d);
      datas[i] = toBytes(d.data, `datagrams[${i}].data`);
      paths[i] = d.path;
      addresses[i] = d.path === undefined ? null : this.#encode(d.path);
    }
    this.checkOpen();
    try {
      this.#autobindIfNeeded();
      return this.batcher.sendMany(datas, addresses, null, paths);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends now if the receiver has room: true when sent, false when its queue (or this socket's
   * send buffer) is full, or earlier sends still wait, and nothing was sent. Throws the kernel's
   * error, explained, otherwise.
   */
  trySend(data: SendData, path?: string): boolean {
    const bytes = toBytes(data);
    const address = path === undefined ? null : this.#encode(path);
    this.#autobindIfNeeded();
    try {
      return this.trySendBytes(bytes, address);
    } catch (error) {
      throw this.#explainSend(error, path, bytes.length);
    }
  }

  protected override sendBatcherHooks(): SendBatcherHooks {
    return {
      explain: (error, path, size) => this.#explainSend(error, path as string | undefined, size),
      // To the connected peer: poll(2) wakes a connected socket when its peer's queue has room,
      // and the base class resumes the batcher then. To a path: see lib/unix/room-waiter.ts.
      waitForRoom: (address, resume, stalls) => {
        if (address === null) this.handle.awaitWritable();
        else this.#roomWaiter.wait(address, resume, stalls);
      },
    };
  }

  override ref(): this {
    if (!this.closed) this.#roomWaiter.setRef(true);
    return super.ref();
  }

  override unref(): this {
    if (!this.closed) this.#roomWaiter.setRef(false);
    return super.unref();
  }

  protected override decodeMessage(data: Buffer, meta: Uint32Array, index: number): UnixDatagramMessage {
    const m = index * MESSAGE.stride;
    const offset = meta[m + MESSAGE.dataOffset] as number;
    return new UnixDatagramMessage(
      data.subarray(offset, offset + (meta[m + MESSAGE.captured] as number)),
      meta[m + MESSAGE.length] as number,
      meta[m + MESSAGE.flags] as number,
      data,
      meta[m + MESSAGE.auxOffset] as number,
      meta[m + MESSAGE.addressLength] as number,
      meta[m + MESSAGE.controlLength] as number,
    );
  }

  /** Rejects waiting sends and removes the socket file bind() created, if it is still that file. */
  protected override onClose(): void {
    this.#roomWaiter.close();
    const created = this.#created;
    this.#created = undefined;
    if (!created) return;
    try {
      const stats = lstatSync(created.path, { bigint: true });
      // Someone may have replaced the file since (a new instance of this program that bound
      // with removeStale): only the inode this socket created is ours to remove.
      if (stats.isSocket() && stats.dev === created.dev && stats.ino === created.ino) unlinkSync(created.path);
    } catch {
      // Already gone, or its directory is: nothing of ours is left to remove.
    }
  }

  #encode(path: string): Uint8Array {
    if (path === this.#lastPath) return this.#lastAddress as Uint8Array;
    const address = encodeUnix(path);
    this.#lastPath = path;
    this.#lastAddress = address;
    return address;
  }

  #autobindIfNeeded(): void {
    if (this.#bound || !this.#autobind) return;
    try {
      native.bind(this.handle.fd, AUTOBIND_ADDRESS);
    } catch (error) {
      // EINVAL: already bound (e.g. by the kernel for SO_PASSCRED): that is all we wanted.
      if (!hasCode(error, 'EINVAL')) throw error;
    }
    this.#bound = true;
  }

  #explainSend(error: unknown, path: string | undefined, size: number): unknown {
    const limit = hasCode(error, 'EMSGSIZE') && !this.closed ? this.maxSendSize : undefined;
    return explainPeerError(error, path ?? this.#peer, size, limit);
  }
}
