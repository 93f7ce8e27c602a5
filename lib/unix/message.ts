// One received Unix datagram. The payload is a view of the batch the native reader filled (the
// views of one batch never overlap and the next batch gets new memory), and the sender's address
// and credentials are decoded only when asked for, so a receiver that only reads `data` pays for
// neither.
import { inspect } from 'node:util';
import { decodeUnix } from '../core/sockaddr.js';
import { constants } from '../native.js';
import { parseCredentials, type UnixCredentials } from './credentials.js';

const MSG_TRUNC = constants.MSG_TRUNC;

/**
 * A datagram received by a UnixDatagramSocket.
 * @example
 * const socket = UnixDatagramSocket.create({ passCredentials: true }).bind('/run/myapp.sock');
 * for await (const message of socket) {
 *   console.log(message.credentials?.pid, message.sender, message.data.toString());
 *   if (message.sender) await socket.send('ok', message.sender);
 * }
 */
export class UnixDatagramMessage {
  /** The payload (at most the socket's `maxMessageSize` bytes: see `truncated`). */
  readonly data: Buffer;
  /** The datagram's real length: larger than `data.length` when it was truncated. */
  readonly size: number;
  readonly #flags: number;
  readonly #aux: Buffer;
  readonly #auxOffset: number;
  readonly #addressLength: number;
  readonly #controlLength: number;

  /** @internal Built by UnixDatagramSocket from a native batch. */
  constructor(
    data: Buffer,
    size: number,
    flags: number,
    aux: Buffer,
    auxOffset: number,
    addressLength: number,
    controlLength: number,
  ) {
    this.data = data;
    this.size = size;
    this.#flags = flags;
    this.#aux = aux;
    this.#auxOffset = auxOffset;
    this.#addressLength = addressLength;
    this.#controlLength = controlLength;
  }

  /**
   * The sender's address: a filesystem path, '@name' for an abstract name (including the
   * '@xxxxx' names autobind picks), or undefined when the sender is not bound to any name
   * (unix(7): such a sender cannot receive a reply).
   */
  get sender(): string | undefined {
    return decodeUnix(this.#aux, this.#auxOffset, this.#addressLength);
  }

  /**
   * The sender's pid, uid and gid (SCM_CREDENTIALS), when the socket was created with
   * `passCredentials: true`; undefined otherwise.
   */
  get credentials(): UnixCredentials | undefined {
    if (this.#controlLength === 0) return undefined;
    return parseCredentials(this.#aux, this.#auxOffset + this.#addressLength, this.#controlLength);
  }

  /** True when the datagram was longer than the receive slot and its tail was cut (MSG_TRUNC). */
  get truncated(): boolean {
    return (this.#flags & MSG_TRUNC) !== 0;
  }

  /** A JSON-friendly copy, for `JSON.stringify(message)` (the payload in base64). */
  toJSON(): {
    /** The payload, base64. */
    data: string;
    /** The datagram's real length. */
    size: number;
    /** The sender's address, when it has one. */
    sender?: string;
    /** The sender's pid, uid and gid, with `passCredentials`. */
    credentials?: UnixCredentials;
    /** True when the datagram was cut. */
    truncated: boolean;
  } {
    return {
      data: this.data.toString('base64'),
      size: this.size,
      sender: this.sender,
      credentials: this.credentials,
      truncated: this.truncated,
    };
  }

  /** What console.log() and util.inspect() show: the payload, sender, credentials and truncation. */
  [inspect.custom](_depth: number, options: object): string {
    const shown = { data: this.data, sender: this.sender, credentials: this.credentials, truncated: this.truncated };
    return `UnixDatagramMessage ${inspect(shown, options)}`;
  }
}
