// Waiting for room at a Unix datagram receiver that this socket is not connected to.
//
// poll(2) is no help for an unconnected sender: the kernel reports it writable while its sends
// to a full receiver fail with EAGAIN, so waiting for writability would spin. A socket connected
// to the receiver is different: the kernel wakes it when that receiver's queue drains
// (net/unix/af_unix.c, unix_dgram_peer_wake_me). So the wait uses a helper socket connected to
// the destination, which never sends anything.
import { constants, type NativeSocketHandle, native } from '../native.js';

// After this many wake-ups that still found the receiver full, wait with timers instead.
const MAX_STALLED_WAKES = 3;
const MAX_RETRY_DELAY_MS = 8;

export class RoomWaiter {
  #helper: NativeSocketHandle | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resume: (() => void) | undefined;
  #referenced = true;
  readonly #wake = (): void => {
    this.#timer = undefined;
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
  };

  /**
   * Calls `resume` once the receiver at `address` may have room. `stalls`: waits in a row that
   * ended without progress; from MAX_STALLED_WAKES on (other senders keep filling the receiver
   * before we get a turn, or our own send buffer is full) it backs off with short timers.
   */
  wait(address: Uint8Array, resume: () => void, stalls: number): void {
    this.#resume = resume;
    if (stalls < MAX_STALLED_WAKES) {
      try {
        if (!this.#helper) {
          const helper = new native.SocketHandle(constants.AF_UNIX, constants.SOCK_DGRAM, 0);
          helper.onWritable = this.#wake;
          helper.onError = this.#wake;
          if (!this.#referenced) helper.setRef(false);
          this.#helper = helper;
        }
        native.connect(this.#helper.fd, address);
        this.#helper.awaitWritable();
        return;
      } catch {
        // E.g. the receiver is gone: the retry reports the send's own error.
      }
    }
    const delay = Math.min(2 ** Math.max(0, stalls - MAX_STALLED_WAKES), MAX_RETRY_DELAY_MS);
    this.#timer = setTimeout(this.#wake, delay);
    if (!this.#referenced) this.#timer.unref();
  }

  /** Whether a wait keeps the event loop alive (the socket's ref()/unref()). */
  setRef(referenced: boolean): void {
    this.#referenced = referenced;
    this.#helper?.setRef(referenced);
    if (referenced) this.#timer?.ref();
    else this.#timer?.unref();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#resume = undefined;
    this.#helper?.close();
    this.#helper = undefined;
  }
}
