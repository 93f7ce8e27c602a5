// One item at a time from an async iterator of batches, with one awaited promise per batch
// rather than one per item: while the batch it holds has items left, next() hands out the next
// one at once (an already resolved promise), so a `for await` loop over packets costs what a
// loop over batches costs plus a cheap step per item. Backpressure stays with the batch loop
// underneath (lib/core/receiver.ts): a batch leaves its queue when its first item is handed out.

/** The items of a batch: how many, and the one at an index (made when asked for). */
export interface BatchItems<B, T> {
  count(batch: B): number;
  item(batch: B, index: number): T;
}

/**
 * An async iterator over the items of `batches`, in order. Once `signal` aborts, the rest of the
 * batch held is dropped and next() goes to `batches`, which rejects with the AbortError.
 */
export function batchItems<B, T>(
  batches: AsyncIterableIterator<B>,
  items: BatchItems<B, T>,
  signal?: AbortSignal,
): AsyncIterableIterator<T> {
  let batch: B | undefined;
  let index = 0;
  let length = 0;
  const take = (result: IteratorResult<B>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (result.done) return { value: undefined, done: true };
    batch = result.value;
    length = items.count(batch);
    index = 0;
    // Never empty in practice (sockets deliver no empty batch), but then simply read on.
    if (length === 0) return batches.next().then(take);
    return { value: items.item(batch, index++), done: false };
  };
  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (index < length && signal?.aborted !== true)
        return Promise.resolve({ value: items.item(batch as B, index++), done: false });
      batch = undefined;
      length = 0;
      return batches.next().then(take);
    },
    return(): Promise<IteratorResult<T>> {
      batch = undefined;
      length = 0;
      index = 0;
      const ended = batches.return?.();
      return ended
        ? ended.then(() => ({ value: undefined, done: true }))
        : Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
