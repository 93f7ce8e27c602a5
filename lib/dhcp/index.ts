// DHCPv4 (RFC 2131, options RFC 2132): a typed message codec, and a client that gets a lease
// through a packet socket before the interface has an address, as busybox's udhcpc does, and
// applies it over rtnetlink. See docs/dhcp.md.
export { type ApplyLeaseOptions, applyLease } from './apply.js';
export { type RequestLeaseOptions, requestLease } from './client.js';
export { DhcpConflictError, DhcpNakError, DhcpParseError, type DhcpParseReason, DhcpTimeoutError } from './errors.js';
export { formatLease } from './format.js';
export type { DhcpLease } from './lease.js';
export {
  DHCP_CLIENT_PORT,
  DHCP_MAGIC_COOKIE,
  DHCP_MINIMUM_LENGTH,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  type DhcpMessageInput,
  decodeDhcpMessage,
  encodeDhcpMessage,
} from './message.js';
export { DHCP_MESSAGE_TYPES, type DhcpMessageType, type DhcpOptions } from './options.js';
export { type RenewLeaseOptions, releaseLease, renewLease } from './renew.js';
