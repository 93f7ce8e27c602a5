// ICMP: echo (ping sockets and raw ICMP sockets), ping() with iputils' summary, and ICMP errors
// from the socket error queue, typed.

export type { ErrorOrigin } from '../core/error-queue.js';
export { buildEchoRequest, ECHO_REPLY, ECHO_REQUEST, type EchoRequestInput, echoPayload } from './echo.js';
export { formatPingEvent, formatPingSummary } from './format.js';
export type { IcmpErrorKind, IcmpErrorMessage, UnreachableReason } from './icmp-error.js';
export {
  type PingErrorEvent,
  type PingEvent,
  type PingOptions,
  type PingReplyEvent,
  type PingResult,
  type PingSendErrorEvent,
  type PingTimeoutEvent,
  ping,
} from './ping.js';
export {
  type EchoReply,
  type PingMessage,
  PingSocket,
  type PingSocketOptions,
  type PingSocketType,
} from './ping-socket.js';
export type { PingSummary, RttStatistics } from './statistics.js';
