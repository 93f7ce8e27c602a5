// ping(): what iputils ping does, as a function. Echo requests at an interval, replies matched
// by identifier and sequence number, duplicates and late replies reported, ICMP errors about the
// requests reported with the router that sent them, and the summary iputils prints.
import { checkInteger, checkNumber, checkString, invalidArgType } from '../core/validate.js';
import { native } from '../native.js';
import { echoPayload } from './echo.js';
import type { IcmpErrorMessage } from './icmp-error.js';
import { type EchoReply, PingSocket, type PingSocketType } from './ping-socket.js';
import { PingStatistics, type PingSummary } from './statistics.js';
import { checkCommonOptions, resolveTarget } from './target.js';

/**
 * Options of {@link ping}.
 * @example await ping('192.0.2.1', { count: 3, interval: 200, timeout: 1000, size: 56, ttl: 64, signal: AbortSignal.timeout(10_000) })
 */
export interface PingOptions {
  /** Requests to send (default 4; Infinity: until `signal` aborts). */
  count?: number;
  /** Milliseconds between requests (default 1000, as iputils; at least 1). */
  interval?: number;
  /** Milliseconds to wait for each reply (default 10000, iputils' -W default); a later one is reported `late`. */
  timeout?: number;
  /** Data bytes after the ICMP header (default 56, so replies are "64 bytes"); the first 16 carry the send time. */
  size?: number;
  /** TTL (IPv4) or hop limit (IPv6) of the requests. */
  ttl?: number;
  /** Ends the run early; ping() then resolves with what it has (as iputils prints its summary on Ctrl-C). */
  signal?: AbortSignal;
  /** Address family to resolve a host name to (default: the resolver's first answer). */
  family?: 4 | 6;
  /** Socket type (see {@link PingSocketOptions.type}); default 'auto'. */
  type?: 'auto' | PingSocketType;
  /** Called with each event as it happens (the same events end up in the result). */
  onEvent?: (event: PingEvent) => void;
}

/** A reply to one of the requests. */
export interface PingReplyEvent {
  /** Tells the event kinds apart. */
  type: 'reply';
  /** The sequence number (iputils' icmp_seq). */
  sequence: number;
  /** Who answered. */
  address: string;
  /** Bytes of the ICMP message ("64 bytes from"). */
  size: number;
  /** TTL / hop limit of the reply. */
  ttl?: number;
  /** Round trip in milliseconds, with microsecond precision (kernel receive time minus send time). */
  rtt: number;
  /** A further reply to a sequence number already answered (iputils prints "(DUP!)"). */
  duplicate: boolean;
  /** The reply came after `timeout` had passed for its request. */
  late: boolean;
}

/** An ICMP error about one of the requests. */
export interface PingErrorEvent {
  /** Tells the event kinds apart. */
  type: 'error';
  /** The sequence number of the request it is about. */
  sequence: number;
  /** The router or host that sent the error. */
  address?: string;
  /** The error itself. */
  error: IcmpErrorMessage;
}

/** No reply within `timeout` (a reply may still come, reported with `late: true`). */
export interface PingTimeoutEvent {
  /** Tells the event kinds apart. */
  type: 'timeout';
  /** The sequence number of the request. */
  sequence: number;
}

/** The kernel refused to send a request (counted as transmitted, as iputils does). */
export interface PingSendErrorEvent {
  /** Tells the event kinds apart. */
  type: 'send-error';
  /** The sequence number of the request. */
  sequence: number;
  /** The kernel's error (code, errno, syscall 'sendmsg'). */
  error: NodeJS.ErrnoException;
}

/** One thing that happened during a ping run. */
export type PingEvent = PingReplyEvent | PingErrorEvent | PingTimeoutEvent | PingSendErrorEvent;

/** What {@link ping} resolves with. */
export interface PingResult {
  /** The host as given. */
  host: string;
  /** The address pinged. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** The echo identifier used. */
  identifier: number;
  /** 'dgram' (ping socket) or 'raw'. */
  socketType: PingSocketType;
  /** Every event in order. */
  events: PingEvent[];
  /** The summary iputils prints. */
  summary: PingSummary;
}

interface Request {
  sentAt: bigint;
  replies: number;
  errored: boolean;
  timedOut: boolean;
  timer: NodeJS.Timeout | undefined;
}

function checkOptions(options: unknown): PingOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as PingOptions;
  // Infinity: until aborted, as ping without -c.
  if (o.count !== undefined && o.count !== Infinity) checkInteger('options.count', o.count, 1);
  if (o.interval !== undefined) checkNumber('options.interval', o.interval, 1, 3_600_000);
  if (o.timeout !== undefined) checkNumber('options.timeout', o.timeout, 1, 3_600_000);
  // 65507 = 65535 - 20 (IPv4 header) - 8 (ICMP header): the most data an IPv4 echo can carry.
  if (o.size !== undefined) checkInteger('options.size', o.size, 0, 65507);
  if (o.ttl !== undefined) checkInteger('options.ttl', o.ttl, 1, 255);
  checkCommonOptions(o as Record<string, unknown>, 'onEvent');
  return o;
}

/**
 * Pings `host` (an address or a name) and resolves with every event and the summary iputils
 * prints. Bad options throw before anything is sent; a host name that does not resolve, or a
 * socket the system refuses (see {@link PingSocket.create}), rejects.
 * @example
 * const { events, summary } = await ping('::1', { count: 3, interval: 200 });
 * for (const e of events) if (e.type === 'reply') console.log(`icmp_seq=${e.sequence} ttl=${e.ttl} time=${e.rtt} ms`);
 * console.log(`${summary.transmitted} packets transmitted, ${summary.received} received, ${summary.loss}% packet loss`);
 */
export async function ping(host: string, options?: PingOptions): Promise<PingResult> {
  checkString('host', host);
  const o = checkOptions(options);
  const target = await resolveTarget(host, o.family);
  const count = o.count ?? 4;
  const interval = o.interval ?? 1000;
  const timeoutNs = BigInt(Math.round((o.timeout ?? 10_000) * 1e6));
  const size = o.size ?? 56;
  const socket = PingSocket.create({
    family: target.family,
    type: o.type ?? 'auto',
    ...(o.ttl === undefined ? {} : { ttl: o.ttl }),
  });
  try {
    // A ping socket's identifier is its port: bind now so it is known before the first reply.
    socket.bind();
    return await run(socket, host, target, { count, interval, timeoutNs, size, signal: o.signal, onEvent: o.onEvent });
  } finally {
    socket.close();
  }
}

interface RunOptions {
  count: number;
  interval: number;
  timeoutNs: bigint;
  size: number;
  signal: AbortSignal | undefined;
  onEvent: ((event: PingEvent) => void) | undefined;
}

function run(
  socket: PingSocket,
  host: string,
  target: { address: string; family: 4 | 6 },
  o: RunOptions,
): Promise<PingResult> {
  const identifier = socket.identifier;
  const requests = new Map<number, Request>();
  const events: PingEvent[] = [];
  const stats = new PingStatistics();
  const started = native.realtimeNs();
  let sent = 0;
  let sending = true;
  let sendTimer: NodeJS.Timeout | undefined;

  return new Promise<PingResult>((resolvePromise, reject) => {
    let finished = false;
    const emit = (event: PingEvent) => {
      events.push(event);
      o.onEvent?.(event);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(sendTimer);
      for (const r of requests.values()) clearTimeout(r.timer);
      socket.off('message', onMessage);
      socket.off('error', onError);
      o.signal?.removeEventListener('abort', onAbort);
      const elapsedMs = Number((native.realtimeNs() - started) / 1_000_000n);
      resolvePromise({
        host,
        address: target.address,
        family: target.family,
        identifier,
        socketType: socket.type,
        events,
        summary: stats.summary(elapsedMs),
      });
    };
    // Done when every request has been sent and each is answered, errored or timed out. One more
    // turn of the event loop first (setImmediate runs after the poll phase), so replies the
    // kernel already queued are read before the run ends.
    const maybeFinish = () => {
      if (sending) return;
      for (const r of requests.values()) if (r.replies === 0 && !r.errored && !r.timedOut) return;
      setImmediate(finish);
    };
    const onReply = (m: EchoReply) => {
      if (m.identifier !== identifier) return;
      const request = requests.get(m.sequence);
      if (!request) return; // not a sequence number this run sent
      const receivedAt = m.receivedAt ?? native.realtimeNs();
      // iputils: both times in whole microseconds (timeval), then subtracted.
      const rttUs = receivedAt / 1000n - request.sentAt / 1000n;
      const duplicate = request.replies > 0;
      const late = receivedAt - request.sentAt > o.timeoutNs;
      request.replies++;
      clearTimeout(request.timer);
      stats.reply(rttUs, duplicate, late);
      emit({
        type: 'reply',
        sequence: m.sequence,
        address: m.address,
        size: m.size,
        ...(m.ttl === undefined ? {} : { ttl: m.ttl }),
        rtt: Number(rttUs < 0n ? 0n : rttUs) / 1000,
        duplicate,
        late,
      });
      maybeFinish();
    };
    const onIcmpError = (m: IcmpErrorMessage) => {
      if (!m.echo || m.echo.identifier !== identifier) return;
      const request = requests.get(m.echo.sequence);
      if (!request) return;
      request.errored = true;
      clearTimeout(request.timer);
      stats.errors++;
      emit({
        type: 'error',
        sequence: m.echo.sequence,
        ...(m.offender === undefined ? {} : { address: m.offender }),
        error: m,
      });
      maybeFinish();
    };
    const onMessage = (m: EchoReply | IcmpErrorMessage) => (m.kind === 'echo-reply' ? onReply(m) : onIcmpError(m));
    const onError = (error: Error) => {
      finished = true;
      clearTimeout(sendTimer);
      for (const r of requests.values()) clearTimeout(r.timer);
      reject(error);
    };
    const onAbort = () => {
      sending = false;
      finish();
    };
    socket.on('message', onMessage);
    socket.on('error', onError);
    if (o.signal?.aborted) {
      onAbort();
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const sendNext = () => {
      if (finished) return;
      sent++;
      // iputils numbers requests from 1; the field is 16 bits, so a long run wraps.
      const sequence = sent & 0xffff;
      const sentAt = native.realtimeNs();
      const request: Request = { sentAt, replies: 0, errored: false, timedOut: false, timer: undefined };
      requests.set(sequence, request);
      stats.transmitted++;
      request.timer = setTimeout(
        () => {
          if (request.replies > 0 || request.errored) return;
          request.timedOut = true;
          emit({ type: 'timeout', sequence });
          maybeFinish();
        },
        Number(o.timeoutNs / 1_000_000n),
      );
      socket.send({ sequence, payload: echoPayload(o.size, sentAt) }, target.address).catch((error: unknown) => {
        if (finished) return;
        request.errored = true;
        clearTimeout(request.timer);
        emit({ type: 'send-error', sequence, error: error as NodeJS.ErrnoException });
        maybeFinish();
      });
      if (sent >= o.count) {
        sending = false;
        maybeFinish();
        return;
      }
      sendTimer = setTimeout(sendNext, o.interval);
    };
    sendNext();
  });
}
