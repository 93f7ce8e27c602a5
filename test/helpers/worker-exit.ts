// A worker that posts a message and then exits can have both events emitted in the same tick (Node
// drains the port before emitting 'exit'), so an 'exit' listener added after awaiting the message
// can wait forever. These helpers listen for both from the start.
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';

/** The worker's next message and its exit code. */
export async function messageThenExit(worker: Worker): Promise<{ message: unknown; code: number }> {
  const exited = once(worker, 'exit');
  const [message] = await once(worker, 'message');
  const [code] = await exited;
  return { message, code };
}
