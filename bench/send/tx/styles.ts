// styles.ts - the ways rawsock's senders are driven in the send suite, shared by the rawsock-*.ts
// senders so every socket kind is measured with the same loops:
//   send    : send() in windows of 1,024 calls, each window awaited with Promise.all (the code a
//             user writes first: many send() calls, then wait)
//   trysend : trySend() in a loop; when it returns false, one awaited send() waits for room
//   batch   : sendBatch() of 64 datagrams, each awaited before the next
import harness from './harness.cjs';

export type Style = 'send' | 'trysend' | 'batch';
const WINDOW = 1024;
const BATCH = 64;

export interface Sends {
  send(): Promise<number>;
  trySend(): boolean;
  /** sendBatch() of `count` copies of the payload. */
  sendBatch(count: number): Promise<number>;
}

export function parseStyle(value: string | undefined): Style {
  if (value === 'send' || value === 'trysend' || value === 'batch') return value;
  console.error(`style must be send, trysend or batch, not ${value}`);
  process.exit(2);
}

/** Waits for the driver's go, sends `count` datagrams in `style`, and reports. */
export async function drive(style: Style, count: number, sends: Sends): Promise<void> {
  const start = await harness.go();
  let sent = 0;
  if (style === 'send') {
    const window: Promise<number>[] = new Array(WINDOW);
    while (sent < count) {
      const n = Math.min(WINDOW, count - sent);
      window.length = n;
      for (let i = 0; i < n; i++) window[i] = sends.send();
      await Promise.all(window);
      sent += n;
    }
  } else if (style === 'trysend') {
    while (sent < count) {
      if (!sends.trySend()) await sends.send();
      sent++;
    }
  } else {
    while (sent < count) sent += await sends.sendBatch(Math.min(BATCH, count - sent));
  }
  harness.finish(sent, start);
}
