// AbortSignal plumbing shared by every operation that takes a `signal`: the error Node's own
// APIs reject with, and a wait that the signal ends.

/** An AbortError as Node's APIs make it: name 'AbortError', code 'ABORT_ERR', the reason as cause. */
export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

/** Resolves after `ms`; rejects with an AbortError once `signal` aborts (at once if it has). */
export function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The first `event` of `emitter` whose argument `pick` turns into a value (null: not this one,
 * keep waiting), or null after `ms`. Rejects with the emitter's 'error' or with an AbortError once
 * `signal` aborts (at once if it has). Every listener and the timer go on each outcome.
 */
export function firstEvent<A, T>(
  emitter: NodeJS.EventEmitter,
  event: string,
  pick: (arg: A) => T | null,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<T | null> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, value: T | null) => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      emitter.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value);
    };
    const onEvent = (arg: A) => {
      const value = pick(arg);
      if (value !== null) done(undefined, value);
    };
    const onError = (error: Error) => done(error, null);
    const onAbort = () => done(abortError(signal as AbortSignal), null);
    const timer = setTimeout(() => done(undefined, null), ms);
    emitter.on(event, onEvent);
    emitter.on('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
