// SendBatcher: the send queue of the Unix, UDP-Lite and packet sockets. Every send() and
// sendBatch() goes through it, in call order. The send() calls made in one turn of JS (a loop
// of sends, the style users write first) go to the kernel together, in one sendmmsg(2) per 1,024
// datagrams, when the microtask queue runs; a lone awaited send is one sendmsg(2). When the kernel
// has no room (EAGAIN) the batcher waits as its socket says (writability, or for Unix sends to a
// path a helper socket: lib/unix/room-waiter.ts) and goes on from the datagram that did not fit,
// so nothing is dropped or reordered. A kernel error rejects the send it belongs to, explained by
// the socket, and the ones after it still go.
import type { NativeSocketHandle } from '../native.js';

/** The datagrams of one sendBatch() call: resolved with their count once the last is sent. */
interface Group {
  count: number;
  left: number;
  failed: boolean;
  resolve: (count: number) => void;
  reject: (error: unknown) => void;
}

export interface SendBatcherHooks {
  /**
   * Arranges for resume() to be called once the kernel may have room for a datagram to `address`
   * (null: the connected peer). `stalls` counts the waits in a row that ended without the kernel
   * taking a datagram (0 for the first). The default waits for the socket to be writable.
   */
  waitForRoom?(address: Uint8Array | null, resume: () => void, stalls: number): void;
  /** The error a send rejects with, given the kernel's error and the send's tag and size. */
  explain?(error: unknown, tag: unknown, size: number): unknown;
}

// Above this many sent entries at the front, the arrays are compacted (a steady stream that never
// empties the queue would otherwise grow them without bound).
const COMPACT_AT = 4096;
const MAX_PER_CALL = 1024; // UIO_MAXIOV
const MIN_PER_CALL = 16;

export class SendBatcher {
  readonly #handle: NativeSocketHandle;
  readonly #hooks: SendBatcherHooks;
  // Parallel arrays, one entry per datagram not yet sent, from #head on: what handle.sendBatch()
  // takes as they are, so a flush builds nothing.
  readonly #datas: Uint8Array[] = [];
  readonly #addresses: (Uint8Array | null)[] = [];
  readonly #controls: (Uint8Array | null)[] = [];
  readonly #tags: unknown[] = [];
  // Per entry: the send()'s resolve and reject, or the sendBatch() group it belongs to.
  readonly #resolves: (((bytes: number) => void) | Group)[] = [];
  readonly #rejects: (((error: unknown) => void) | null)[] = [];
  #head = 0;
  #scheduled = false;
  #waiting = false;
  #stalls = 0;
  #closed = false;
  // How many datagrams one sendmmsg is handed: all (1,024) while the kernel takes everything;
  // after it took only part, about twice what it took, so a long queue at a receiver with room
  // for ten is not prepared 1,024 entries at a time.
  #limit = MAX_PER_CALL;
  // The kernel just said EAGAIN to a trySend(): the next flush waits for room without asking again.
  #full = false;
  readonly #flushTask = (): void => {
    this.#scheduled = false;
    if (!this.#waiting) this.#flush();
  };
  readonly #resume = (): void => {
    this.#waiting = false;
    this.#full = false;
    this.#flush();
  };

  constructor(handle: NativeSocketHandle, hooks: SendBatcherHooks = {}) {
    this.#handle = handle;
    this.#hooks = hooks;
  }

  /** Datagrams queued and not yet taken by the kernel. */
  get pending(): number {
    return this.#datas.length - this.#head;
  }

  /** True while the batcher waits for the kernel to have room. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /**
   * Queues one datagram; resolves with its length once the kernel took it. `tag` is handed to
   * the explain hook with an error (e.g. the destination as the user wrote it).
   */
  send(data: Uint8Array, address: Uint8Array | null, control: Uint8Array | null, tag?: unknown): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#push(data, address, control, tag, resolve, reject);
      this.#schedule();
    });
  }

  /**
   * Queues datagrams that resolve together with how many they were. A kernel error rejects with
   * `index` set to the datagram that failed; those before it were sent, the rest are not.
   */
  sendMany(
    datas: readonly Uint8Array[],
    addresses: readonly (Uint8Array | null)[],
    controls: readonly (Uint8Array | null)[] | null,
    tags: readonly unknown[] | null,
  ): Promise<number> {
    const count = datas.length;
    if (count === 0) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      const group: Group = { count, left: count, failed: false, resolve, reject };
      for (let i = 0; i < count; i++) {
        this.#push(
          datas[i] as Uint8Array,
          addresses[i] ?? null,
          controls === null ? null : (controls[i] ?? null),
          tags === null ? undefined : tags[i],
          group,
          null,
        );
      }
      this.#schedule();
    });
  }

  /**
   * Sends what is queued now, synchronously (trySend() calls it so that it never overtakes earlier
   * sends). Returns true when nothing is left waiting.
   */
  flushNow(): boolean {
    if (!this.#waiting && this.pending > 0) this.#flush();
    return this.pending === 0;
  }

  /** Rejects every queued send with `error` (the socket closed). */
  close(error: () => unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    const end = this.#datas.length;
    for (let i = this.#head; i < end; i++) this.#fail(i, error(), false);
    this.#reset();
  }

  /** The kernel refused a datagram just now (EAGAIN): queued sends wait for room first. */
  noteFull(): void {
    this.#full = true;
  }

  /** The kernel may have room again (the socket's writability callback). */
  resume(): void {
    if (this.#waiting) this.#resume();
  }

  #push(
    data: Uint8Array,
    address: Uint8Array | null,
    control: Uint8Array | null,
    tag: unknown,
    resolve: ((bytes: number) => void) | Group,
    reject: ((error: unknown) => void) | null,
  ): void {
    this.#datas.push(data);
    this.#addresses.push(address);
    this.#controls.push(control);
    this.#tags.push(tag);
    this.#resolves.push(resolve);
    this.#rejects.push(reject);
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting) return;
    this.#scheduled = true;
    queueMicrotask(this.#flushTask);
  }

  // Hands the kernel as much as it takes; stops at EAGAIN and waits for room.
  #flush(): void {
    const handle = this.#handle;
    while (!this.#closed && this.#head < this.#datas.length) {
      const head = this.#head;
      const group = this.#resolves[head];
      if (typeof group === 'object' && group.failed) {
        this.#head++; // the rest of a sendBatch() that failed: not sent
        continue;
      }
      let sent: number;
      const left = this.#datas.length - head;
      try {
        if (this.#full) {
          this.#full = false;
          sent = 0;
        } else if (left === 1) {
          sent =
            handle.send(
              this.#datas[head] as Uint8Array,
              this.#addresses[head] as Uint8Array | null,
              this.#controls[head] as Uint8Array | null,
            ) < 0
              ? 0
              : 1;
        } else {
          const asked = Math.min(left, this.#limit);
          sent = handle.sendBatch(this.#datas, this.#addresses, this.#controls, head, asked);
          if (sent === asked) this.#limit = Math.min(MAX_PER_CALL, this.#limit * 2);
          else if (sent > 0) this.#limit = Math.max(MIN_PER_CALL, sent * 2);
        }
      } catch (error) {
        this.#fail(head, error);
        this.#head++;
        continue;
      }
      if (sent === 0) {
        this.#waiting = true;
        const wait = this.#hooks.waitForRoom;
        if (wait) wait(this.#addresses[head] as Uint8Array | null, this.#resume, this.#stalls++);
        else handle.awaitWritable();
        break;
      }
      this.#stalls = 0;
      const end = head + sent;
      for (let i = head; i < end; i++) {
        const done = this.#resolves[i] as ((bytes: number) => void) | Group;
        if (typeof done === 'function') {
          done((this.#datas[i] as Uint8Array).byteLength);
        } else if (!done.failed && --done.left === 0) {
          done.resolve(done.count);
        }
      }
      this.#head = end;
    }
    if (this.#head === this.#datas.length) this.#reset();
    else if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#datas.length) this.#compact();
  }

  #fail(index: number, cause: unknown, explained = true): void {
    const explain = explained ? this.#hooks.explain : undefined;
    const size = (this.#datas[index] as Uint8Array).byteLength;
    const error = explain ? explain(cause, this.#tags[index], size) : cause;
    const done = this.#resolves[index] as ((bytes: number) => void) | Group;
    if (typeof done === 'function') {
      (this.#rejects[index] as (error: unknown) => void)(error);
    } else if (!done.failed) {
      done.failed = true;
      // Which of the batch's datagrams failed: those before it were sent.
      if (error instanceof Error) Object.assign(error, { index: done.count - done.left });
      done.reject(error);
    }
  }

  #reset(): void {
    this.#head = 0;
    this.#datas.length = 0;
    this.#addresses.length = 0;
    this.#controls.length = 0;
    this.#tags.length = 0;
    this.#resolves.length = 0;
    this.#rejects.length = 0;
  }

  #compact(): void {
    const n = this.#head;
    this.#datas.splice(0, n);
    this.#addresses.splice(0, n);
    this.#controls.splice(0, n);
    this.#tags.splice(0, n);
    this.#resolves.splice(0, n);
    this.#rejects.splice(0, n);
    this.#head = 0;
  }
}
