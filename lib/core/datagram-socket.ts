// The base of rawsock's datagram sockets (UDP-Lite, Unix datagram, packet): one owned native
// handle, receive through 'message' events and async iterators, and sends that wait for the
// kernel instead of dropping.
import { invalidArgType, socketClosed } from '../errors.js';
import { type NativeSocketHandle, native, type ReceiveOptions } from '../native.js';
import { messageCount } from './batch-layout.js';
import { getBufferSize, setBufferSize } from './buffer-size.js';
import { ListenerAwareEmitter } from './listener-hooks.js';
import { MessageQueue } from './message-queue.js';
import { type IterateOptions, Receiver } from './receiver.js';
import { SendBatcher, type SendBatcherHooks } from './send-batcher.js';
import { sendNow } from './send-now.js';

interface PendingSend {
  // Sends what is left: the result once done, undefined while the kernel's buffer is full.
  attempt: () => number | undefined;
  resolve: (result: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Bytes accepted by send(): a Buffer, any Uint8Array, or a string (sent as UTF-8).
 * @inline
 */
export type SendData = Uint8Array | string;

export function toBytes(data: unknown, name = 'data'): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType(name, 'a string, Buffer or Uint8Array', data);
}

/**
 * A socket that owns one descriptor. Subclasses turn native batches into their message type and
 * build addresses; this class handles the event loop, backpressure, sends and closing.
 *
 * Events: 'message' (each received item), 'error', 'close'.
 */
export abstract class DatagramSocket<Message> extends ListenerAwareEmitter {
  readonly #handle: NativeSocketHandle;
  // The handle's descriptor, for the per-datagram native calls that take one (native.sendmsg):
  // reading handle.fd costs a wrapped-object lookup each time. Only used while open.
  readonly #fd: number;
  readonly #receiver: Receiver<Message>;
  // A queue with O(1) shift: a burst of sends to a slow receiver can leave 100,000s waiting.
  readonly #sendQueue = new MessageQueue<PendingSend>();
  // The batched send queue of the sockets that use it (lib/core/send-batcher.ts), made on first use.
  #batcher: SendBatcher | null = null;
  #receiveOptions: ReceiveOptions | null;
  #started = false;
  #closed = false;

  protected constructor(domain: number, type: number, protocol: number, receiveOptions: ReceiveOptions | null) {
    super();
    this.#handle = new native.SocketHandle(domain, type, protocol);
    this.#fd = this.#handle.fd;
    this.#receiveOptions = receiveOptions;
    this.#receiver = new Receiver<Message>(() => this.#startOrResume());
    this.#handle.onMessages = (data, meta) => this.receiveBatch(data, meta);
    this.#handle.onWritable = () => {
      this.#flushSends();
      this.#batcher?.resume();
    };
    this.#handle.onError = (error) => this.#onError(error);
  }

  // Reading starts with the first reading listener or loop, so nothing is read (and lost) before
  // anyone listens: until then datagrams wait in the kernel's queue.
  protected override listenerAdded(event: string | symbol): void {
    if (this.readsEvent(event)) queueMicrotask(() => this.#startOrResume());
  }

  // removeAllListeners() included: reading pauses when nobody is left to read, and starts again
  // with the next listener.
  protected override listenerRemoved(event: string | symbol | undefined): void {
    if (event === undefined || this.readsEvent(event)) this.#pauseIfIdle();
  }

  /** Whether listeners of `event` consume received data (default: 'message'). */
  protected readsEvent(event: string | symbol): boolean {
    return event === 'message';
  }

  /** The descriptor, for socket options; -1 after close(). */
  get fd(): number {
    return this.#handle.fd;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Throws ERR_SOCKET_CLOSED after close(). */
  protected checkOpen(): void {
    if (this.#closed) throw socketClosed();
  }

  /** The native handle, or ERR_SOCKET_CLOSED after close(). */
  protected get handle(): NativeSocketHandle {
    if (this.#closed) throw socketClosed();
    return this.#handle;
  }

  /**
   * The kernel's receive buffer in bytes (SO_RCVBUF: twice what was asked for, socket(7); a packet
   * socket's ring has memory of its own). Setting it asks for a size the same way on every socket
   * (docs/sockets.md): SO_RCVBUFFORCE when the process may (CAP_NET_ADMIN in the socket's network
   * namespace), else SO_RCVBUF, which the kernel caps at net.core.rmem_max.
   */
  get receiveBufferSize(): number {
    return getBufferSize(this.handle.fd, 'receive');
  }

  /** Asks for a receive buffer of `bytes` (see the getter). */
  set receiveBufferSize(bytes: number) {
    setBufferSize(this.handle.fd, 'receive', bytes);
  }

  /** The kernel's send buffer in bytes (SO_SNDBUF), set like receiveBufferSize (SO_SNDBUFFORCE, net.core.wmem_max). */
  get sendBufferSize(): number {
    return getBufferSize(this.handle.fd, 'send');
  }

  /** Asks for a send buffer of `bytes` (see the getter). */
  set sendBufferSize(bytes: number) {
    setBufferSize(this.handle.fd, 'send', bytes);
  }

  /** Changes the recvmmsg geometry (before reading starts, or takes effect at once). */
  protected setReceiveOptions(options: ReceiveOptions | null): void {
    this.#receiveOptions = options;
    if (this.#started && options) this.#handle.startReceiving(options);
  }

  /**
   * Turns message `index` of a recvmmsg batch (lib/core/batch-layout.ts MESSAGE) into the
   * subclass's message type, for the default receiveBatch(). Sockets that read whole batches
   * themselves (an own receiveBatch, or the packet readers' onPackets) leave it out.
   */
  protected decodeMessage?(data: Buffer, meta: Uint32Array, index: number): Message;

  /**
   * Receives with `for await`. The loop ends when the socket closes; an AbortSignal ends it with
   * an AbortError. Several loops may run at once: each sees every message.
   * @example
   * for await (const message of socket.messages({ signal: AbortSignal.timeout(5000), highWaterMark: 64 })) {
   *   console.log(message);
   * }
   */
  messages(options?: IterateOptions): AsyncIterableIterator<Message> {
    if (this.#closed) throw socketClosed();
    const iterator = this.#receiver.iterate(options, () => this.#pauseIfIdle());
    this.#startOrResume();
    return iterator;
  }

  /** `for await (const message of socket)`: the same as messages() with the default options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this.messages();
  }

  #startOrResume(): void {
    if (this.#closed) return;
    if (!this.#started) {
      this.#started = true;
      this.#handle.startReceiving(this.#receiveOptions ?? undefined);
    } else {
      this.#handle.resume();
    }
  }

  #pauseIfIdle(): void {
    if (this.#closed || !this.#started) return;
    if (this.#receiver.size === 0 && !this.hasReaders()) this.#handle.pause();
  }

  /** Starts reading, or resumes it after a pause (for subclasses with their own consumers). */
  protected resumeReading(): void {
    this.#startOrResume();
  }

  /** Stops reading when nobody consumes (hasReaders() false and no messages() loop). */
  protected pauseIfIdle(): void {
    this.#pauseIfIdle();
  }

  /** Whether something besides messages() loops wants data (default: 'message' listeners). */
  protected hasReaders(): boolean {
    return this.listenerCount('message') > 0;
  }

  /**
   * Ends the loops a subclass runs itself (not through messages()) with a socket error that has
   * no 'error' listener; false when it runs none (the error is then emitted).
   */
  protected failOwnLoops(_error: Error): boolean {
    return false;
  }

  /** Number of messages() loops running. */
  protected get loopCount(): number {
    return this.#receiver.size;
  }

  /**
   * Emits 'message' and queues `message` for every messages() loop; false when the socket
   * closed or a loop is full (the caller returns false from receiveBatch to pause reading).
   */
  protected deliverMessage(message: Message): boolean {
    if (this.listenerCount('message') > 0) this.emit('message', message);
    if (this.#closed) return false;
    return this.#receiver.push(message);
  }

  /**
   * One recvmmsg batch (onMessages: datagrams, addresses and control data all in `data`). The
   * default decodes each message with decodeMessage() and delivers it; subclasses that work on
   * whole batches override it. Returning false pauses reading (backpressure).
   */
  protected receiveBatch(data: Buffer, meta: Uint32Array): boolean {
    const decode = this.decodeMessage;
    if (decode === undefined) throw new Error(`${this.constructor.name} receives recvmmsg batches but decodes none`);
    const count = messageCount(meta);
    const emit = this.listenerCount('message') > 0;
    let room = true;
    for (let i = 0; i < count; i++) {
      const message = decode.call(this, data, meta, i);
      if (emit) this.emit('message', message);
      if (this.#closed) return false;
      if (!this.#receiver.push(message)) room = false;
    }
    return room;
  }

  #onError(error: NodeJS.ErrnoException): void {
    if (this.listenerCount('error') > 0 || (this.#receiver.size === 0 && !this.failOwnLoops(error))) {
      this.emit('error', error);
    } else {
      this.#receiver.fail(error);
    }
  }

  /**
   * Sends one datagram; resolves with the bytes the kernel took. When the socket buffer is full
   * it waits for room (never drops); sends complete in call order.
   */
  protected sendBytes(
    data: Uint8Array,
    address: Uint8Array | null,
    control: Uint8Array | null = null,
  ): Promise<number> {
    const handle = this.handle;
    return this.sendInOrder(() => {
      const sent = handle.send(data, address, control);
      return sent >= 0 ? sent : undefined;
    });
  }

  /**
   * Runs `attempt` now, or after the sends queued before it, and again each time the socket is
   * writable until it returns a result (undefined: the kernel's buffer is full). A throw rejects.
   * For sends of several datagrams (sendmmsg) that complete in order with single ones.
   */
  protected sendInOrder(attempt: () => number | undefined): Promise<number> {
    const handle = this.handle;
    if (this.#sendQueue.length === 0) {
      try {
        const result = attempt();
        if (result !== undefined) return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<number>((resolve, reject) => {
      this.#sendQueue.push({ attempt, resolve, reject });
      if (this.#sendQueue.length === 1) handle.awaitWritable();
    });
  }

  /**
   * Sends now if the kernel has room: true when sent, false when the buffer is full (nothing was
   * sent; try again later or use send()). Throws the kernel's error otherwise.
   */
  protected trySendBytes(data: Uint8Array, address: Uint8Array | null, control: Uint8Array | null = null): boolean {
    this.checkOpen();
    if (this.#sendQueue.length > 0) return false;
    // Batched sends queued earlier go first (in this call when the kernel has room for them).
    if (this.#batcher !== null && !this.#batcher.flushNow()) return false;
    if (sendNow(this.#fd, data, address, control) >= 0) return true;
    this.#batcher?.noteFull(); // a send() that follows waits for room without asking the kernel again
    return false;
  }

  /**
   * The batched send queue (lib/core/send-batcher.ts): send() calls of one turn leave in one
   * sendmmsg(2). Made on first use with sendBatcherHooks(); ERR_SOCKET_CLOSED after close().
   */
  protected get batcher(): SendBatcher {
    if (this.#closed) throw socketClosed();
    if (this.#batcher === null) this.#batcher = new SendBatcher(this.#handle, this.#fd, this.sendBatcherHooks());
    return this.#batcher;
  }

  /** How the batcher waits for room and explains errors (default: writability, errors as they are). */
  protected sendBatcherHooks(): SendBatcherHooks {
    return {};
  }

  #flushSends(): void {
    while (this.#sendQueue.length > 0 && !this.#closed) {
      const next = this.#sendQueue.peek() as PendingSend;
      let result: number | undefined;
      try {
        result = next.attempt();
      } catch (error) {
        this.#sendQueue.shift();
        next.reject(error);
        continue;
      }
      if (result === undefined) {
        this.#handle.awaitWritable();
        return;
      }
      this.#sendQueue.shift();
      next.resolve(result);
    }
  }

  /** Keeps the event loop alive while the socket is open (the default). */
  ref(): this {
    if (!this.#closed) this.#handle.setRef(true);
    return this;
  }

  /** Lets the process exit even though this socket is open (like dgram's unref()). */
  unref(): this {
    if (!this.#closed) this.#handle.setRef(false);
    return this;
  }

  /**
   * Closes the descriptor. Receive loops end cleanly; batched sends queued this turn are sent
   * first if the kernel has room; sends still waiting for room reject with ERR_SOCKET_CLOSED.
   * Calling it again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    // Sends queued in this turn still go if the kernel has room now (as they did before batching).
    this.#batcher?.flushNow();
    this.#closed = true;
    this.#handle.close();
    this.#receiver.end();
    for (let send = this.#sendQueue.shift(); send; send = this.#sendQueue.shift()) send.reject(socketClosed());
    this.#batcher?.close(socketClosed);
    this.onClose();
    process.nextTick(() => this.emit('close'));
  }

  /** Subclass hook run once by close(), after the descriptor is closed. */
  protected onClose(): void {}
}
