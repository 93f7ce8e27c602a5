// The receive side shared by every rawsock socket: batches from the native reader become
// 'message' events and typed async iterators, with backpressure: when an iterator's consumer
// falls behind by `highWaterMark` items, the native reader stops polling and the kernel queues
// (and, when its buffer is full, counts drops) instead of JS memory growing without bound.

import { abortError } from './abort.js';
import { MessageQueue } from './message-queue.js';
import { checkInteger, checkOptions, invalidArgType } from './validate.js';

/**
 * Options of one receive loop.
 * @example
 * const controller = new AbortController();
 * for await (const packet of socket.packets({ signal: controller.signal, highWaterMark: 1024 })) {
 *   if (packet.truncated) controller.abort();
 * }
 */
export interface IterateOptions {
  /** Ends the loop: the pending and next `next()` reject with an AbortError. */
  signal?: AbortSignal;
  /** Items buffered for this loop before the socket stops reading (default 4096). */
  highWaterMark?: number;
}

interface Consumer<T> {
  queue: MessageQueue<T>;
  /** What the queued items weigh together (their count, unless the loop gave a weight). */
  queued: number;
  weight: ((item: T) => number) | null;
  highWaterMark: number;
  wake: (() => void) | null;
  error: unknown;
  done: boolean;
}

/** Fan-out of received items to async iterators, with pause/resume of the source. */
export class Receiver<T> {
  readonly #consumers = new Set<Consumer<T>>();
  readonly #resume: () => void;
  #paused = false;

  /** `resume` restarts the source after push() returned false and the loops caught up. */
  constructor(resume: () => void) {
    this.#resume = resume;
  }

  get size(): number {
    return this.#consumers.size;
  }

  /** Queues an item for every loop. Returns false when some loop is full (pause the source). */
  push(item: T): boolean {
    let room = true;
    for (const consumer of this.#consumers) {
      consumer.queue.push(item);
      consumer.queued += consumer.weight === null ? 1 : consumer.weight(item);
      if (consumer.wake) {
        const wake = consumer.wake;
        consumer.wake = null;
        wake();
      }
      if (consumer.queued >= consumer.highWaterMark) room = false;
    }
    if (!room) this.#paused = true;
    return room;
  }

  /** Ends every loop with this error (delivered after what is already queued). */
  fail(error: unknown): void {
    for (const consumer of this.#consumers) {
      consumer.error = error;
      consumer.wake?.();
      consumer.wake = null;
    }
  }

  /** Ends every loop cleanly, after what is already queued. */
  end(): void {
    for (const consumer of this.#consumers) {
      consumer.done = true;
      consumer.wake?.();
      consumer.wake = null;
    }
  }

  #maybeResume(): void {
    if (!this.#paused) return;
    for (const consumer of this.#consumers) {
      if (consumer.queued > consumer.highWaterMark / 2) return;
    }
    this.#paused = false;
    this.#resume();
  }

  /**
   * A new loop; `onEmpty` runs when the last loop ends (the socket may stop reading);
   * `defaultHighWaterMark` applies when the options give none; `weight` says what one item
   * counts against it (a batch of packets: its packets), 1 by default.
   */
  iterate(
    options: IterateOptions = {},
    onEmpty: () => void = () => {},
    defaultHighWaterMark = 4096,
    weight: ((item: T) => number) | null = null,
  ): AsyncIterableIterator<T> {
    const { highWaterMark, signal } = checkIterateOptions(options, defaultHighWaterMark);
    const consumer: Consumer<T> = {
      queue: new MessageQueue<T>(),
      queued: 0,
      weight,
      highWaterMark,
      wake: null,
      error: undefined,
      done: false,
    };
    const remove = () => {
      if (!this.#consumers.delete(consumer)) return;
      consumer.queue.clear();
      consumer.queued = 0;
      signal?.removeEventListener('abort', onAbort);
      // The ended loop may be the one that paused the source: resume for whoever else reads
      // ('packet' listeners, other loops); onEmpty pauses again if nobody does.
      this.#maybeResume();
      if (this.#consumers.size === 0) onEmpty();
    };
    const onAbort = () => {
      // An abort ends the loop now: what is still queued for it is dropped with it.
      consumer.queue.clear();
      consumer.queued = 0;
      if (signal) consumer.error ??= abortError(signal);
      consumer.wake?.();
      consumer.wake = null;
    };
    if (signal?.aborted) {
      consumer.error = abortError(signal);
    } else {
      signal?.addEventListener('abort', onAbort, { once: true });
    }
    this.#consumers.add(consumer);
    // What is queued is handed out without an async function (a promise and a suspension per
    // item): a loop that keeps up costs one resolved promise per item.
    const take = (): IteratorResult<T> => {
      const value = consumer.queue.shift() as T;
      consumer.queued -= consumer.weight === null ? 1 : consumer.weight(value);
      if (this.#paused) this.#maybeResume();
      return { value, done: false };
    };
    const wait = async (): Promise<IteratorResult<T>> => {
      for (;;) {
        if (consumer.queue.length > 0) return take();
        if (consumer.error !== undefined) {
          const error = consumer.error;
          remove();
          throw error;
        }
        if (consumer.done || !this.#consumers.has(consumer)) {
          remove();
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => {
          consumer.wake = resolve;
        });
      }
    };
    const iterator: AsyncIterableIterator<T> = {
      next: (): Promise<IteratorResult<T>> => {
        if (consumer.queue.length === 0) return wait();
        try {
          return Promise.resolve(take());
        } catch (error) {
          // As from the async path: a resume that threw rejects this next().
          return Promise.reject(error);
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        remove();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    if (this.#paused) this.#maybeResume();
    return iterator;
  }
}

function checkIterateOptions(
  options: IterateOptions,
  defaultHighWaterMark: number,
): { highWaterMark: number; signal: AbortSignal | undefined } {
  checkOptions('options', options, ['signal', 'highWaterMark'], 'a receive loop');
  const { highWaterMark = defaultHighWaterMark, signal } = options;
  checkInteger('options.highWaterMark', highWaterMark, 1);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an AbortSignal', signal);
  }
  return { highWaterMark, signal };
}
