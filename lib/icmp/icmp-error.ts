// ICMP errors as the error queue reports them (ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR), typed:
// what kind of error, which router or host sent it (the offender), which destination the
// original datagram had, and the wording iputils ping and Debian's traceroute use for it.
import type { ErrorOrigin, ErrorQueueRecord } from '../core/error-queue.js';
import { readTtlAndTime } from '../core/inet-base.js';
import type { InetAddress } from '../core/sockaddr.js';

/**
 * What an error says happened to the datagram:
 * - 'time-exceeded': its TTL / hop limit ran out at a router (traceroute's hops), or reassembly timed out;
 * - 'unreachable': a router or the destination could not or would not deliver it (see `unreachable`);
 * - 'packet-too-big': it needs fragmenting (IPv4 code 4 "fragmentation needed", ICMPv6 type 2); `mtu` says how small;
 * - 'parameter-problem': a header field was bad (`pointer` says where);
 * - 'source-quench', 'redirect': old IPv4 messages, reported as they come;
 * - 'local': the sending host's own error (EMSGSIZE above the path MTU, …), no ICMP involved;
 * - 'other': any other ICMP type.
 */
export type IcmpErrorKind =
  | 'time-exceeded'
  | 'unreachable'
  | 'packet-too-big'
  | 'parameter-problem'
  | 'source-quench'
  | 'redirect'
  | 'local'
  | 'other';

/**
 * Why a destination is unreachable, from the code of an ICMP "destination unreachable"
 * (RFC 792, RFC 1812 §5.2.7.1) or ICMPv6 one (RFC 4443 §3.1):
 * 'network', 'host', 'protocol', 'port' (the destination itself answered: nothing listens),
 * 'source-route-failed', 'network-unknown', 'host-unknown', 'host-isolated',
 * 'network-prohibited', 'host-prohibited', 'network-tos', 'host-tos',
 * 'admin-prohibited' (a firewall's reject: IPv4 code 13, ICMPv6 code 1),
 * 'precedence-violation', 'precedence-cutoff', 'beyond-scope', 'address' (ICMPv6 3: neighbour
 * discovery failed), 'source-policy', 'reject-route', 'unknown'.
 */
export type UnreachableReason =
  | 'network'
  | 'host'
  | 'protocol'
  | 'port'
  | 'source-route-failed'
  | 'network-unknown'
  | 'host-unknown'
  | 'host-isolated'
  | 'network-prohibited'
  | 'host-prohibited'
  | 'network-tos'
  | 'host-tos'
  | 'admin-prohibited'
  | 'precedence-violation'
  | 'precedence-cutoff'
  | 'beyond-scope'
  | 'address'
  | 'source-policy'
  | 'reject-route'
  | 'unknown';

/**
 * An ICMP (or local) error about a datagram this socket sent, from the socket's error queue.
 * @example
 * socket.on('message', (m) => {
 *   if (m.kind === 'icmp-error') console.log(`From ${m.offender?.address}: ${m.description}`);
 * });
 */
export interface IcmpErrorMessage {
  /** Tells error records from the socket's other messages. */
  kind: 'icmp-error';
  /** What happened (see {@link IcmpErrorKind}). */
  error: IcmpErrorKind;
  /** For 'unreachable': why (see {@link UnreachableReason}). */
  unreachable?: UnreachableReason;
  /** 'icmp' or 'icmp6' for errors a router or host sent, 'local' for this host's own. */
  origin: ErrorOrigin;
  /** ICMP type as received (ee_type): 3, 11, … for IPv4; 1, 2, 3, 4 for ICMPv6. */
  type: number;
  /** ICMP code as received (ee_code). */
  code: number;
  /** The errno the kernel maps the error to ('EHOSTUNREACH', 'ECONNREFUSED', 'EMSGSIZE', …). */
  errno: string;
  /** The router or host that sent the error (SO_EE_OFFENDER); undefined for local errors. */
  offender?: string;
  /** The destination the original datagram was sent to (the port is the UDP destination port, 0 for ICMP). */
  destination?: InetAddress;
  /** For 'packet-too-big' and local EMSGSIZE: the MTU to fit (ee_info). */
  mtu?: number;
  /** For 'parameter-problem': the offset of the bad byte (ee_info). */
  pointer?: number;
  /** The start of the original datagram as the kernel quotes it: the ICMP header on ICMP sockets, the payload on UDP ones. */
  original: Buffer;
  /** For errors about an echo request: its identifier and sequence number. */
  echo?: {
    /** The request's identifier. */
    identifier: number;
    /** The request's sequence number. */
    sequence: number;
  };
  /** TTL / hop limit the ICMP error itself arrived with, when the kernel reported it. */
  ttl?: number;
  /** Kernel receive time of the ICMP error, nanoseconds since the epoch (SO_TIMESTAMPNS). */
  receivedAt?: bigint;
  /** What iputils ping prints for it ("Time to live exceeded", "Destination Host Unreachable", …). */
  description: string;
  /**
   * What Debian's traceroute prints after the hop for it: '' (time exceeded, or port unreachable
   * from the destination), '!N', '!H', '!P', '!F-<mtu>', '!S', '!X', '!V', '!C' or '!<code>'.
   */
  annotation: string;
}

const UNREACHABLE4: UnreachableReason[] = [
  'network',
  'host',
  'protocol',
  'port',
  'unknown', // 4, fragmentation needed, is a 'packet-too-big' error
  'source-route-failed',
  'network-unknown',
  'host-unknown',
  'host-isolated',
  'network-prohibited',
  'host-prohibited',
  'network-tos',
  'host-tos',
  'admin-prohibited',
  'precedence-violation',
  'precedence-cutoff',
];
const UNREACHABLE6: UnreachableReason[] = [
  'network',
  'admin-prohibited',
  'beyond-scope',
  'address',
  'port',
  'source-policy',
  'reject-route',
];

// iputils ping_common.c / ping.c pr_icmph() wording for IPv4 destination unreachable codes.
const UNREACHABLE4_TEXT = [
  'Destination Net Unreachable',
  'Destination Host Unreachable',
  'Destination Protocol Unreachable',
  'Destination Port Unreachable',
  'Frag needed and DF set',
  'Source Route Failed',
  'Destination Net Unknown',
  'Destination Host Unknown',
  'Source Host Isolated',
  'Destination Net Prohibited',
  'Destination Host Prohibited',
  'Destination Net Unreachable for Type of Service',
  'Destination Host Unreachable for Type of Service',
  'Packet filtered',
  'Precedence Violation',
  'Precedence Cutoff',
];
// iputils ping6_common.c pr_icmph() wording for ICMPv6 destination unreachable codes.
const UNREACHABLE6_TEXT = [
  'No route',
  'Administratively prohibited',
  'Beyond scope of source address',
  'Address unreachable',
  'Port unreachable',
];
// Debian traceroute (traceroute.c): the mark printed for each IPv4 unreachable code.
const ANNOTATION4: Record<number, string> = {
  0: '!N',
  1: '!H',
  2: '!P',
  5: '!S',
  6: '!N',
  7: '!H',
  8: '!N',
  9: '!X',
  10: '!X',
  11: '!N',
  12: '!H',
  13: '!X',
  14: '!V',
  15: '!C',
};
const ANNOTATION6: Record<number, string> = { 0: '!N', 1: '!X', 2: '!H', 3: '!H' };

function describe4(type: number, code: number, info: number): [IcmpErrorKind, string, UnreachableReason?] {
  switch (type) {
    case 3:
      if (code === 4) return ['packet-too-big', `Frag needed and DF set (mtu = ${info})`];
      return [
        'unreachable',
        UNREACHABLE4_TEXT[code] ?? `Dest Unreachable, Bad Code: ${code}`,
        UNREACHABLE4[code] ?? 'unknown',
      ];
    case 4:
      return ['source-quench', 'Source Quench'];
    case 5:
      return ['redirect', 'Redirect'];
    case 11:
      return [
        'time-exceeded',
        code === 0
          ? 'Time to live exceeded'
          : code === 1
            ? 'Frag reassembly time exceeded'
            : `Time exceeded, Bad Code: ${code}`,
      ];
    case 12:
      return ['parameter-problem', `Parameter problem: pointer = ${info}`];
    default:
      return ['other', `Bad ICMP type: ${type}`];
  }
}

function describe6(type: number, code: number, info: number): [IcmpErrorKind, string, UnreachableReason?] {
  switch (type) {
    case 1:
      return [
        'unreachable',
        `Destination unreachable: ${UNREACHABLE6_TEXT[code] ?? `Unknown code ${code}`}`,
        UNREACHABLE6[code] ?? 'unknown',
      ];
    case 2:
      return ['packet-too-big', `Packet too big: mtu=${info}`];
    case 3:
      return [
        'time-exceeded',
        `Time exceeded: ${code === 0 ? 'Hop limit' : code === 1 ? 'Defragmentation failure' : `code ${code}`}`,
      ];
    case 4:
      return [
        'parameter-problem',
        `Parameter problem: ${['Wrong header field ', 'Unknown header ', 'Unknown option '][code] ?? `code ${code} `}at ${info}`,
      ];
    default:
      return ['other', `Unknown ICMPv6 type ${type}`];
  }
}

function annotate(kind: IcmpErrorKind, family: 4 | 6, code: number, mtu: number): string {
  if (kind === 'packet-too-big') return `!F-${mtu}`;
  if (kind !== 'unreachable') return '';
  const table = family === 4 ? ANNOTATION4 : ANNOTATION6;
  if ((family === 4 && code === 3) || (family === 6 && code === 4)) return ''; // port unreachable: the destination answered
  return table[code] ?? `!${code}`;
}

/**
 * Interprets an error-queue record; `echoType` is the echo request type of the family when the
 * socket sends echo requests (the quoted original then starts with one), else undefined.
 */
export function toIcmpError(record: ErrorQueueRecord, family: 4 | 6, echoType?: number): IcmpErrorMessage {
  const { icmpType: type, icmpCode: code, info } = record;
  let kind: IcmpErrorKind;
  let description: string;
  let unreachable: UnreachableReason | undefined;
  if (record.origin === 'icmp' || record.origin === 'icmp6') {
    [kind, description, unreachable] =
      record.origin === 'icmp' ? describe4(type, code, info) : describe6(type, code, info);
  } else {
    kind = 'local';
    description =
      record.errnoCode === 'EMSGSIZE'
        ? `local error: message too long, mtu: ${info}`
        : `local error: ${record.errnoCode}`;
  }
  const mtu = kind === 'packet-too-big' || (kind === 'local' && record.errnoCode === 'EMSGSIZE') ? info : undefined;
  const o = record.original;
  const echo =
    echoType !== undefined && o.length >= 8 && o[0] === echoType
      ? { identifier: o.readUInt16BE(4), sequence: o.readUInt16BE(6) }
      : undefined;
  const { ttl, receivedAt } = readTtlAndTime(record.control, family);
  return {
    kind: 'icmp-error',
    error: kind,
    ...(unreachable ? { unreachable } : {}),
    origin: record.origin,
    type,
    code,
    errno: record.errnoCode,
    ...(record.offender ? { offender: record.offender.address } : {}),
    ...(record.destination ? { destination: record.destination } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(kind === 'parameter-problem' ? { pointer: info } : {}),
    original: o,
    ...(echo ? { echo } : {}),
    ...(ttl !== undefined ? { ttl } : {}),
    ...(receivedAt !== undefined ? { receivedAt } : {}),
    description,
    annotation: annotate(kind, family, code, info),
  };
}
