// Names for the numbers the kernel reports, spelled the way iproute2's ss prints them. These are
// ss's spellings of every EtherType it knows, not rawsock's names (lib/decode/ethertypes.ts).
import { ETHERTYPES } from '../decode/ethertypes.js';

/**
 * EtherType names as ss prints a packet socket's protocol (iproute2 lib/ll_proto.c, values from
 * <linux/if_ether.h>). The first entry for a value wins, as in ss: 0x0800 is 'ip', not 'ipv4'.
 */
const ETHERTYPE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x0060, 'loop'],
  [0x0200, 'pup'],
  [0x0201, 'pupat'],
  [0x0800, 'ip'],
  [0x0805, 'x25'],
  [0x0806, 'arp'],
  [0x08ff, 'bpq'],
  [0x0a00, 'ieeepup'],
  [0x0a01, 'ieeepupat'],
  [0x6000, 'dec'],
  [0x6001, 'dna_dl'],
  [0x6002, 'dna_rc'],
  [0x6003, 'dna_rt'],
  [0x6004, 'lat'],
  [0x6005, 'diag'],
  [0x6006, 'cust'],
  [0x6007, 'sca'],
  [0x8035, 'rarp'],
  [0x809b, 'atalk'],
  [0x80f3, 'aarp'],
  [0x8137, 'ipx'],
  [0x86dd, 'ipv6'],
  [0x8863, 'ppp_disc'],
  [0x8864, 'ppp_ses'],
  [0x884c, 'atmmpoa'],
  [0x8884, 'atmfate'],
  [0x0001, '802_3'],
  [0x0002, 'ax25'],
  [0x0003, 'all'],
  [0x0004, '802_2'],
  [0x0005, 'snap'],
  [0x0006, 'ddcmp'],
  [0x0007, 'wan_ppp'],
  [0x0008, 'ppp_mp'],
  [0x0009, 'localtalk'],
  [0x000c, 'can'],
  [0x0010, 'ppptalk'],
  [0x0011, 'tr_802_2'],
  [0x0015, 'mobitex'],
  [0x0016, 'control'],
  [0x0017, 'irda'],
  [0x0018, 'econet'],
  [0x88ca, 'tipc'],
  [0x8892, 'profinet'],
  [0x88a2, 'aoe'],
  [0x88a4, 'ethercat'],
  [0x8100, '802.1Q'],
  [0x88a8, '802.1ad'],
  [0x8847, 'mpls_uc'],
  [0x8848, 'mpls_mc'],
  [0x6558, 'teb'],
  [0x8902, 'cfm'],
  [0x88cc, 'LLDP'],
];

const BY_VALUE = new Map<number, string>();
for (const [value, name] of ETHERTYPE_NAMES) if (!BY_VALUE.has(value)) BY_VALUE.set(value, name);

/** ETH_P_ALL (<linux/if_ether.h>): every protocol. */
export const ETH_P_ALL = ETHERTYPES.all;

/** The name ss gives an EtherType (host byte order), or undefined when it has none. */
export function etherTypeName(protocol: number): string | undefined {
  return BY_VALUE.get(protocol);
}

/**
 * What ss prints in a packet socket's "Local Address" column: '*' for ETH_P_ALL, the name
 * (or `[decimal]` with -n / when unnamed) otherwise.
 */
export function packetProtocolText(protocol: number, numeric: boolean): string {
  if (protocol === ETH_P_ALL) return '*';
  const name = numeric ? undefined : BY_VALUE.get(protocol);
  return name ?? `[${protocol}]`;
}

/** TCP states (<net/tcp_states.h>); UDP uses ESTABLISHED (connected) and CLOSE. */
export const TCP_STATES = [
  'UNKNOWN',
  'ESTABLISHED',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'CLOSE',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'NEW-SYN-RECV',
  'BOUND-INACTIVE',
] as const;

/**
 * A socket state as ss names it, by kernel state number (<net/tcp_states.h>): 1 'ESTABLISHED',
 * 2 'SYN-SENT', 3 'SYN-RECV', 4 'FIN-WAIT-1', 5 'FIN-WAIT-2', 6 'TIME-WAIT', 7 'CLOSE',
 * 8 'CLOSE-WAIT', 9 'LAST-ACK', 10 'LISTEN', 11 'CLOSING', 12 'NEW-SYN-RECV', 13 'BOUND-INACTIVE'.
 * @useDeclaredType
 */
export type SocketState = Exclude<(typeof TCP_STATES)[number], 'UNKNOWN'>;

/** The state name for a kernel state number (undefined for numbers the kernel does not use). */
export function stateName(state: number): SocketState | undefined {
  if (!Number.isInteger(state) || state < 1 || state >= TCP_STATES.length) return undefined;
  return TCP_STATES[state] as SocketState;
}

/** The state number for a name. */
export function stateNumber(name: SocketState): number {
  return TCP_STATES.indexOf(name);
}

/** What ss prints in the State column (its own short spellings). */
export function ssStateText(state: number): string {
  switch (state) {
    case 1:
      return 'ESTAB';
    case 7:
      return 'UNCONN';
    case 12:
    case 13:
      return 'UNDEF';
    default:
      return stateName(state) ?? 'UNKNOWN';
  }
}

/** PACKET_FANOUT modes (packet(7)); the diag attribute carries the mode in bits 16..31. */
export const FANOUT_MODES = ['hash', 'lb', 'cpu', 'rollover', 'random', 'qm', 'cbpf', 'ebpf'] as const;
/**
 * A PACKET_FANOUT mode as ss names it: 'hash', 'lb', 'cpu', 'rollover', 'random', 'qm', 'cbpf', 'ebpf'.
 * @useDeclaredType
 */
export type FanoutModeName = (typeof FANOUT_MODES)[number];
