// Deprecation warnings the way Node issues its own (util.deprecate): a DeprecationWarning with a
// code, once per code per process, so a loop over a deprecated call warns once, and
// `node --no-deprecation` / `--throw-deprecation` apply as to Node's own.
const warned = new Set<string>();

/**
 * The deprecations rawsock has, by code (documented in docs/sockets.md):
 * - RAWSOCK_DEP0001: `PacketSocket.create()` and `UdpSniffer.create()`, now `create()`.
 * - RAWSOCK_DEP0002: the Unix socket's `maxMessageSize` option and `maxDatagramSize` getter, now
 *   `maxDatagramSize` (option) and `maxSendSize` (getter), the names every socket uses.
 */
export type DeprecationCode = 'RAWSOCK_DEP0001' | 'RAWSOCK_DEP0002';

/** Emits `message` as a DeprecationWarning with `code`, unless this code was already emitted. */
export function deprecate(code: DeprecationCode, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'DeprecationWarning', code });
}
