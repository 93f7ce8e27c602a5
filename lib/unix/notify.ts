// sd_notify(3) without libsystemd: one datagram of newline-separated KEY=VALUE assignments to the
// socket named by $NOTIFY_SOCKET (a filesystem path, or an abstract name starting with '@').
import { invalidArgType, invalidArgValue } from '../errors.js';
import { UnixDatagramSocket } from './socket.js';

/** The common sd_notify(3) assignments; other KEY=VALUE pairs go in `extra`. */
export interface NotifyState {
  /** READY=1: start-up is finished (Type=notify services). */
  ready?: boolean;
  /** STATUS=…: a one-line status shown by `systemctl status`. */
  status?: string;
  /** WATCHDOG=1 (true) or WATCHDOG=trigger: keep-alive ping, or ask for the watchdog action now. */
  watchdog?: boolean | 'trigger';
  /** RELOADING=1, sent with the MONOTONIC_USEC=… that Type=notify-reload requires. */
  reloading?: boolean;
  /** STOPPING=1: the service is shutting down. */
  stopping?: boolean;
  /** MAINPID=…: the service's main process, if it is not the sender. */
  mainPid?: number;
  /** ERRNO=…: why the service failed, as an errno number. */
  errno?: number;
  /** EXTEND_TIMEOUT_USEC=…: ask for more time to start, reload or stop. */
  extendTimeoutUsec?: number;
  /** WATCHDOG_USEC=…: change the watchdog timeout. */
  watchdogUsec?: number;
  /** Further assignments, sent as KEY=VALUE in this order. */
  extra?: Record<string, string | number>;
}

/**
 * Options of notify().
 * @example await notify({ ready: true }, { unsetEnvironment: true })
 */
export interface NotifyOptions {
  /** Removes NOTIFY_SOCKET from process.env afterwards, so child processes do not inherit it. */
  unsetEnvironment?: boolean;
  /** The socket to notify instead of $NOTIFY_SOCKET (for tests and supervisors other than systemd). */
  socket?: string;
}

function assignment(key: string, value: string | number): string {
  const text = String(value);
  // sd_notify(3): assignments are separated by newlines, so a value cannot contain one.
  if (text.includes('\n')) throw invalidArgValue(key, 'must not contain a newline', value);
  return `${key}=${text}`;
}

/**
 * The datagram notify() sends for `state`.
 * @example formatNotifyState({ ready: true, status: 'Listening on :8080' }) // 'READY=1\nSTATUS=Listening on :8080'
 */
export function formatNotifyState(state: string | NotifyState): string {
  if (typeof state === 'string') return state;
  if (state === null || typeof state !== 'object') throw invalidArgType('state', 'a string or an object', state);
  const lines: string[] = [];
  if (state.ready) lines.push('READY=1');
  if (state.reloading) {
    lines.push('RELOADING=1');
    // CLOCK_MONOTONIC in microseconds: libuv's hrtime reads that clock.
    lines.push(`MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
  }
  if (state.stopping) lines.push('STOPPING=1');
  if (state.status !== undefined) lines.push(assignment('STATUS', state.status));
  if (state.watchdog === 'trigger') lines.push('WATCHDOG=trigger');
  else if (state.watchdog) lines.push('WATCHDOG=1');
  if (state.mainPid !== undefined) lines.push(assignment('MAINPID', state.mainPid));
  if (state.errno !== undefined) lines.push(assignment('ERRNO', state.errno));
  if (state.extendTimeoutUsec !== undefined) lines.push(assignment('EXTEND_TIMEOUT_USEC', state.extendTimeoutUsec));
  if (state.watchdogUsec !== undefined) lines.push(assignment('WATCHDOG_USEC', state.watchdogUsec));
  for (const [key, value] of Object.entries(state.extra ?? {})) {
    if (!/^[A-Z0-9_]+$/.test(key)) throw invalidArgValue(`extra.${key}`, 'must be an upper-case KEY', key);
    lines.push(assignment(key, value));
  }
  if (lines.length === 0) throw invalidArgValue('state', 'names nothing to notify', state);
  return lines.join('\n');
}

/**
 * Tells the service manager about state changes, like sd_notify(3): `notify('READY=1')`,
 * `notify({ ready: true, status: 'Listening on :8080' })`, `notify({ watchdog: true })`.
 *
 * Resolves true once the datagram was sent, or false, sending nothing, when NOTIFY_SOCKET is not
 * set (the process was not started by systemd as a notify service): like sd_notify, that is not
 * an error, so a program can call it unconditionally.
 * @example
 * server.listen(8080, () => notify({ ready: true, status: 'Listening on :8080' }));
 * setInterval(() => notify({ watchdog: true }), 10_000).unref();
 */
export async function notify(state: string | NotifyState, options: NotifyOptions = {}): Promise<boolean> {
  const message = formatNotifyState(state);
  const target = options.socket ?? process.env.NOTIFY_SOCKET;
  if (options.unsetEnvironment) delete process.env.NOTIFY_SOCKET;
  if (!target) return false;
  if (!target.startsWith('/') && !target.startsWith('@')) {
    throw invalidArgValue(
      'NOTIFY_SOCKET',
      'must be an absolute path or an abstract name starting with "@" (vsock: addresses are not supported)',
      target,
    );
  }
  // An unnamed sender, like sd_notify's: systemd identifies it by SCM_CREDENTIALS, not by name.
  const socket = UnixDatagramSocket.create({ autobind: false });
  try {
    await socket.send(message, target);
  } finally {
    socket.close();
  }
  return true;
}
