// The DHCP errors: bytes that are not a DHCP message, a server that never answers, a refusal.
// None of them is a system error: they have a `code` but no errno or syscall.

/** What is wrong with bytes that should be a DHCP message. */
export type DhcpParseReason = 'truncated' | 'bad-cookie' | 'bad-option' | 'malformed';

/** Bytes that are not a valid DHCP message: `offset` is where the problem is. */
export class DhcpParseError extends Error {
  /** Always 'ERR_RAWSOCK_DHCP_PARSE'. */
  readonly code = 'ERR_RAWSOCK_DHCP_PARSE';
  /** Byte offset of the problem in the message. */
  readonly offset: number;
  /** What kind of problem. */
  readonly reason: DhcpParseReason;
  constructor(message: string, offset: number, reason: DhcpParseReason) {
    super(`DHCP message: ${message}`);
    this.name = 'DhcpParseError';
    this.offset = offset;
    this.reason = reason;
  }
}

/** No server answered in time: which step was waiting, how often it asked and for how long. */
export class DhcpTimeoutError extends Error {
  /** Always 'ETIMEDOUT', as Node's own timeouts. */
  readonly code = 'ETIMEDOUT';
  /** 'offer' (no DHCPOFFER to any DHCPDISCOVER) or 'ack' (no DHCPACK to the DHCPREQUEST). */
  readonly phase: 'offer' | 'ack';
  /** Messages sent in that phase. */
  readonly attempts: number;
  /** Milliseconds spent waiting in that phase. */
  readonly waitedMs: number;
  constructor(interfaceName: string, phase: 'offer' | 'ack', attempts: number, waitedMs: number) {
    const sent = phase === 'offer' ? 'DHCPDISCOVER' : 'DHCPREQUEST';
    const wanted = phase === 'offer' ? 'DHCPOFFER' : 'DHCPACK';
    super(
      `no ${wanted} on ${interfaceName} after ${attempts} ${sent} in ${(waitedMs / 1000).toFixed(1)} s: ` +
        'is a DHCP server on this link, and does a firewall let UDP port 67/68 through?',
    );
    this.name = 'DhcpTimeoutError';
    this.phase = phase;
    this.attempts = attempts;
    this.waitedMs = waitedMs;
  }
}

/** The server refused the request with DHCPNAK (its option 56 message, if any, is in the text). */
export class DhcpNakError extends Error {
  /** Always 'ERR_RAWSOCK_DHCP_NAK'. */
  readonly code = 'ERR_RAWSOCK_DHCP_NAK';
  /** The server's address (option 54). */
  readonly server: string | null;
  /** The server's reason (option 56), or null. */
  readonly serverMessage: string | null;
  constructor(server: string | null, serverMessage: string | null) {
    super(
      `DHCP server ${server ?? '(unknown)'} refused the request (DHCPNAK)${serverMessage ? `: ${serverMessage}` : ''}`,
    );
    this.name = 'DhcpNakError';
    this.server = server;
    this.serverMessage = serverMessage;
  }
}

/** The server kept assigning an address that another host on the link answers ARP for. */
export class DhcpConflictError extends Error {
  /** Always 'ERR_RAWSOCK_DHCP_CONFLICT'. */
  readonly code = 'ERR_RAWSOCK_DHCP_CONFLICT';
  /** The address last assigned. */
  readonly address: string;
  /** The MAC of the host that has it. */
  readonly conflictingMac: string;
  constructor(address: string, conflictingMac: string) {
    super(`the DHCP server assigned ${address}, which ${conflictingMac} already uses (declined)`);
    this.name = 'DhcpConflictError';
    this.address = address;
    this.conflictingMac = conflictingMac;
  }
}
