// A socket starts reading when its first listener arrives and pauses when the last one goes. It
// learns of them by overriding EventEmitter's add and remove methods rather than by listening to
// 'newListener' / 'removeListener' itself: a listener of its own would show in eventNames() and
// listenerCount('newListener'), and removeAllListeners() would take it away with the user's.
import { EventEmitter } from 'node:events';

/**
 * An event listener, EventEmitter's own type, so callers' listeners keep their inferred parameters.
 * @inline
 */
// biome-ignore lint/suspicious/noExplicitAny: EventEmitter's listener type
type Listener = (...args: any[]) => void;

/** An EventEmitter that tells its subclass when a listener was added or removed. */
export class ListenerAwareEmitter extends EventEmitter {
  /** Called after a listener for `event` was added (on, addListener, prependListener, once, …). */
  protected listenerAdded(_event: string | symbol): void {}

  /** Called after listeners were removed: of `event`, or of every event when it is undefined. */
  protected listenerRemoved(_event: string | symbol | undefined): void {}

  override addListener(event: string | symbol, listener: Listener): this {
    super.addListener(event, listener);
    this.listenerAdded(event);
    return this;
  }

  // EventEmitter.prototype.on is the same function as addListener; once() calls this.on().
  override on(event: string | symbol, listener: Listener): this {
    return this.addListener(event, listener);
  }

  // prependOnceListener() calls this.prependListener().
  override prependListener(event: string | symbol, listener: Listener): this {
    super.prependListener(event, listener);
    this.listenerAdded(event);
    return this;
  }

  // A once() listener removes itself through this.removeListener() when it fires.
  override removeListener(event: string | symbol, listener: Listener): this {
    super.removeListener(event, listener);
    this.listenerRemoved(event);
    return this;
  }

  override off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  override removeAllListeners(event?: string | symbol): this {
    if (event === undefined) super.removeAllListeners();
    else super.removeAllListeners(event);
    this.listenerRemoved(event);
    return this;
  }
}
