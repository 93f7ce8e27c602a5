// A socket starts reading when its first listener arrives, through a 'newListener' listener of its
// own; removeAllListeners() takes such hooks away with the user's listeners.
import type { EventEmitter } from 'node:events';

/** Adds `hook` for `event` unless it is already there (e.g. again after removeAllListeners()). */
export function ensureHook(emitter: EventEmitter, event: string, hook: (event: string | symbol) => void): void {
  if (!emitter.listeners(event).includes(hook)) emitter.on(event, hook);
}
