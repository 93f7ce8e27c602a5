// SendBatcher: the send queue of the Unix, UDP-Lite and packet sockets. Every send() and
// sendBatch() goes through it, in call order. The send() calls made in one turn of JS (a loop
// of sends, the style users write first) go to the kernel together, in one sendmmsg(2) per 1,024
// datagrams, when the microtask queue runs; a lone awaited send is one sendmsg(2). When the kernel
// has no room (EAGAIN) the batcher waits as its socket says (writability, or for Unix sends to a
// path a helper socket: lib/unix/room-waiter.ts) and goes on from the datagram that did not fit,
// so nothing is dropped or reordered. A kernel error rejects the send it belongs to, explained by
// the socket, and the ones after it still go. Small datagrams are copied back to back into one
// buffer for each sendmmsg (#stageFrom), so the native call reads all their bytes at once.
import type { NativeSocketHandle } from '../native.js';
import { sendNow } from './send-now.js';

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
// Datagrams up to this size are copied into the stage for sendmmsg (#stageFrom); the stage holds
// 64 KiB, e.g. 1,024 datagrams of 64 bytes or 46 of 1,400.
const STAGE_MAX = 2048;
const STAGE_BYTES = 64 * 1024;
// What a sent entry's slots are overwritten with, so the queue does not keep the user's buffers
// alive until the slot is reused.
const SENT = new Uint8Array(0);
// queueMicrotask() wraps every callback in an AsyncResource (node:internal/process/task_queues);
// a reaction on a settled promise runs at the same point of the microtask queue for less.
const SETTLED = Promise.resolve();

export class SendBatcher {
  readonly #handle: NativeSocketHandle;
  readonly #fd: number;
  readonly #hooks: SendBatcherHooks;
  // Parallel arrays, one entry per datagram not yet sent, from #head to #tail: what
  // handle.sendBatch() takes as they are, so a flush builds nothing. They keep their length when
  // the queue empties (#tail goes back to 0): truncating them made every turn's sends grow the
  // backing stores again.
  readonly #datas: Uint8Array[] = [];
  readonly #addresses: (Uint8Array | null)[] = [];
  readonly #controls: (Uint8Array | null)[] = [];
  // Each datagram's byteLength, read once when it is queued: the loads of the flush then read
  // numbers (a byteLength load from an array of the user's buffers and spent slots is generic).
  readonly #sizes: number[] = [];
  readonly #tags: unknown[] = [];
  // Per entry: the send()'s resolve and reject, or the sendBatch() group it belongs to.
  readonly #resolves: (((bytes: number) => void) | Group)[] = [];
  readonly #rejects: (((error: unknown) => void) | null)[] = [];
  // The seven arrays, for what is done to all of them alike (compaction, close).
  readonly #columns: unknown[][] = [
    this.#datas,
    this.#sizes,
    this.#addresses,
    this.#controls,
    this.#tags,
    this.#resolves,
    this.#rejects,
  ];
  // The stage: the datagrams of one sendmmsg copied back to back, with their lengths (#stageFrom).
  #stage: Uint8Array | null = null;
  readonly #stageLengths = new Uint32Array(MAX_PER_CALL);
  #head = 0;
  #tail = 0;
  // Entries since the queue last emptied that have an address or control bytes: while there are
  // none, handle.sendBatch() is given null for those arrays and reads no entry of them.
  #addressed = 0;
  #controlled = 0;
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

  /** `fd`: the handle's descriptor (sends stop with close(), before the handle closes it). */
  constructor(handle: NativeSocketHandle, fd: number, hooks: SendBatcherHooks = {}) {
    this.#handle = handle;
    this.#fd = fd;
    this.#hooks = hooks;
  }

  /** Datagrams queued and not yet taken by the kernel. */
  get pending(): number {
    return this.#tail - this.#head;
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
    const end = this.#tail;
    for (let i = this.#head; i < end; i++) this.#fail(i, error(), false);
    this.#reset();
    for (const column of this.#columns) column.length = 0;
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
    const at = this.#tail++;
    this.#datas[at] = data;
    this.#sizes[at] = data.byteLength;
    this.#addresses[at] = address;
    this.#controls[at] = control;
    this.#tags[at] = tag;
    this.#resolves[at] = resolve;
    this.#rejects[at] = reject;
    if (address !== null) this.#addressed++;
    if (control !== null) this.#controlled++;
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting) return;
    this.#scheduled = true;
    SETTLED.then(this.#flushTask);
  }

  // Hands the kernel as much as it takes; stops at EAGAIN and waits for room.
  #flush(): void {
    const handle = this.#handle;
    while (!this.#closed && this.#head < this.#tail) {
      const head = this.#head;
      const group = this.#resolves[head];
      if (typeof group === 'object' && group.failed) {
        this.#release(head); // the rest of a sendBatch() that failed: not sent
        this.#head++;
        continue;
      }
      let sent: number;
      const left = this.#tail - head;
      try {
        if (this.#full) {
          this.#full = false;
          sent = 0;
        } else if (left === 1) {
          sent =
            sendNow(
              this.#fd,
              this.#datas[head] as Uint8Array,
              this.#addresses[head] as Uint8Array | null,
              this.#controls[head] as Uint8Array | null,
            ) < 0
              ? 0
              : 1;
        } else {
          let asked = Math.min(left, this.#limit);
          const staged = this.#stageFrom(head, asked);
          const addresses = this.#addressed === 0 ? null : this.#addresses;
          const controls = this.#controlled === 0 ? null : this.#controls;
          if (staged > 0) {
            asked = staged;
            sent = handle.sendStaged(this.#stage as Uint8Array, this.#stageLengths, staged, addresses, controls, head);
          } else {
            sent = handle.sendBatch(this.#datas, addresses, controls, head, asked);
          }
          if (sent === asked) this.#limit = Math.min(MAX_PER_CALL, this.#limit * 2);
          else if (sent > 0) this.#limit = Math.max(MIN_PER_CALL, sent * 2);
        }
      } catch (error) {
        this.#fail(head, error);
        this.#release(head);
        this.#head++;
        continue;
      }
      if (sent > 0) {
        this.#stalls = 0;
        const end = head + sent;
        for (let i = head; i < end; i++) {
          const done = this.#resolves[i] as ((bytes: number) => void) | Group;
          if (typeof done === 'function') {
            done(this.#sizes[i] as number);
          } else if (!done.failed && --done.left === 0) {
            done.resolve(done.count);
          }
          this.#release(i);
        }
        this.#head = end;
      }
      // Nothing taken: the kernel's queue is full. (After a partial sendmmsg the loop asks again
      // at once: the datagram that did not go may have failed rather than found no room, and
      // its error must not wait for room that may never come.)
      if (sent === 0) {
        this.#waiting = true;
        const wait = this.#hooks.waitForRoom;
        if (wait) wait(this.#addresses[head] as Uint8Array | null, this.#resume, this.#stalls++);
        else handle.awaitWritable();
        break;
      }
    }
    if (this.#head === this.#tail) this.#reset();
    else if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#tail) this.#compact();
  }

  // Copies up to `count` datagrams from the queue's entry `head` on, back to back, into the stage
  // (handle.sendStaged: one N-API call for all their data, where handle.sendBatch reads each entry
  // and its buffer). Stops at the first datagram above STAGE_MAX (copying it would cost more than
  // reading it) or when the stage is full. Returns how many it copied: 0 sends with sendBatch.
  #stageFrom(head: number, count: number): number {
    const datas = this.#datas;
    const sizes = this.#sizes;
    let stage = this.#stage;
    let bytes = 0;
    let staged = 0;
    for (; staged < count; staged++) {
      const length = sizes[head + staged] as number;
      if (length > STAGE_MAX || bytes + length > STAGE_BYTES) break;
      if (stage === null) stage = this.#stage = new Uint8Array(STAGE_BYTES);
      stage.set(datas[head + staged] as Uint8Array, bytes);
      this.#stageLengths[staged] = length;
      bytes += length;
    }
    return staged;
  }

  #fail(index: number, cause: unknown, explained = true): void {
    const explain = explained ? this.#hooks.explain : undefined;
    const size = this.#sizes[index] as number;
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

  // Drops the queue's references to a finished entry (its slot stays for the next send).
  #release(index: number): void {
    this.#datas[index] = SENT;
    this.#addresses[index] = null;
    this.#controls[index] = null;
    this.#tags[index] = undefined;
    this.#resolves[index] = noop;
    this.#rejects[index] = null;
  }

  #reset(): void {
    this.#head = 0;
    this.#tail = 0;
    this.#addressed = 0;
    this.#controlled = 0;
  }

  // Moves the unsent entries to the front.
  #compact(): void {
    const n = this.#head;
    const left = this.#tail - n;
    for (const column of this.#columns) column.copyWithin(0, n, this.#tail);
    for (let i = left; i < this.#tail; i++) this.#release(i);
    this.#head = 0;
    this.#tail = left;
  }
}

function noop(): void {}
