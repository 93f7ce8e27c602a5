// RTM_NEWLINK / RTM_DELLINK messages (struct ifinfomsg + IFLA_* attributes) as typed links.
// Pure functions over bytes: every length is checked (lib/diag/netlink.ts) before it is used.
import { formatMac } from '../decode/address.js';
import {
  attributeMap,
  attributeString,
  attributeU8,
  attributeU32,
  DiagParseError,
  LITTLE_ENDIAN,
  viewOf,
} from '../diag/netlink.js';
import {
  HARDWARE_TYPES,
  IFINFOMSG_SIZE,
  IFLA_ADDRESS,
  IFLA_BROADCAST,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_QDISC,
  IFLA_TXQLEN,
  INTERFACE_FLAGS,
  OPERATIONAL_STATES,
} from './constants.js';

/** An interface flag (netdevice(7) IFF_*), spelt as `ip link` prints it. */
export type InterfaceFlag =
  | 'UP'
  | 'BROADCAST'
  | 'DEBUG'
  | 'LOOPBACK'
  | 'POINTOPOINT'
  | 'NOTRAILERS'
  | 'RUNNING'
  | 'NOARP'
  | 'PROMISC'
  | 'ALLMULTI'
  | 'MASTER'
  | 'SLAVE'
  | 'MULTICAST'
  | 'PORTSEL'
  | 'AUTOMEDIA'
  | 'DYNAMIC'
  | 'LOWER_UP'
  | 'DORMANT'
  | 'ECHO';

/**
 * The operational state (IFLA_OPERSTATE, RFC 2863): 'up' when the link can pass packets,
 * 'lower-layer-down' for a veth whose peer is down, 'unknown' for drivers that do not say
 * (loopback, dummy), 'down' for an interface that is administratively down.
 */
export type OperationalState = 'unknown' | 'not-present' | 'down' | 'lower-layer-down' | 'testing' | 'dormant' | 'up';

/** One link as RTM_NEWLINK describes it. */
export interface Link {
  /** Interface index (ifi_index). */
  index: number;
  /** Interface name (IFLA_IFNAME). */
  name: string;
  /** ARPHRD_* hardware type (ifi_type): 1 Ethernet and veth, 772 loopback, 65534 none. */
  hardwareType: number;
  /** The hardware type's name as `ip link` prints it ('ether', 'loopback', 'none'), else its number as text. */
  linkType: string;
  /** Link-layer address (IFLA_ADDRESS) as 'aa:bb:…', or null when the link has none (tunnels, wireguard). */
  mac: string | null;
  /** Link-layer broadcast address (IFLA_BROADCAST), or null. */
  broadcast: string | null;
  /** IFLA_MTU. */
  mtu: number;
  /** Every IFF_* flag set, in bit order. */
  flags: InterfaceFlag[];
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** The driver reports a carrier (IFF_LOWER_UP). */
  carrier: boolean;
  /**
   * Up and able to pass packets: IFF_UP and IFF_RUNNING (the kernel sets RUNNING when the
   * operational state is 'up' or 'unknown'). `ip link` prints NO-CARRIER for up without it.
   */
  running: boolean;
  /** IFLA_OPERSTATE. */
  operationalState: OperationalState;
  /** Link kind from IFLA_LINKINFO/IFLA_INFO_KIND ('veth', 'bridge', 'dummy', …); null for physical links and loopback. */
  kind: string | null;
  /** Queueing discipline (IFLA_QDISC: 'noqueue', 'fq_codel', …), or null. */
  qdisc: string | null;
  /** Transmit queue length (IFLA_TXQLEN), or null. */
  transmitQueueLength: number | null;
  /**
   * IFLA_LINK: the index of the link this one sits on (a veth's peer, a VLAN's parent), or null.
   * When `parentNamespaceId` is set the index is in that other namespace.
   */
  parentIndex: number | null;
  /** IFLA_LINK_NETNSID: the id (in this namespace) of the namespace the parent is in, or null when it is here. */
  parentNamespaceId: number | null;
  /** IFLA_MASTER: the index of the bridge or bond this link is enslaved to, or null. */
  masterIndex: number | null;
}

const flagNames = (bits: number): InterfaceFlag[] =>
  INTERFACE_FLAGS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);

/** A link-layer address attribute as text; null when absent or empty. */
function hardwareAddress(map: Map<number, Uint8Array>, type: number): string | null {
  const value = map.get(type);
  if (value === undefined || value.length === 0) return null;
  return formatMac(value, 0, value.length);
}

/**
 * Decodes the payload of an RTM_NEWLINK or RTM_DELLINK message.
 * @throws DiagParseError (code ERR_RAWSOCK_DIAG_PARSE) when the bytes are not a valid message.
 */
export function parseLink(payload: Uint8Array): Link {
  if (payload.length < IFINFOMSG_SIZE) {
    throw new DiagParseError(`rtnetlink: link message of ${payload.length} bytes, needs ${IFINFOMSG_SIZE}`);
  }
  const view = viewOf(payload);
  const hardwareType = view.getUint16(2, LITTLE_ENDIAN);
  const index = view.getInt32(4, LITTLE_ENDIAN);
  const bits = view.getUint32(8, LITTLE_ENDIAN);
  const map = attributeMap(payload.subarray(IFINFOMSG_SIZE));
  const name = attributeString(map, IFLA_IFNAME);
  if (name === undefined) throw new DiagParseError(`rtnetlink: link ${index} has no IFLA_IFNAME`);
  const state = attributeU8(map, IFLA_OPERSTATE, 'IFLA_OPERSTATE') ?? 0;
  const linkInfo = map.get(IFLA_LINKINFO);
  const kind = linkInfo === undefined ? undefined : attributeString(attributeMap(linkInfo), IFLA_INFO_KIND);
  const parent = attributeU32(map, IFLA_LINK, 'IFLA_LINK');
  const master = attributeU32(map, IFLA_MASTER, 'IFLA_MASTER');
  const netnsId = attributeU32(map, IFLA_LINK_NETNSID, 'IFLA_LINK_NETNSID');
  return {
    index,
    name,
    hardwareType,
    linkType: HARDWARE_TYPES[hardwareType] ?? String(hardwareType),
    mac: hardwareAddress(map, IFLA_ADDRESS),
    broadcast: hardwareAddress(map, IFLA_BROADCAST),
    mtu: attributeU32(map, IFLA_MTU, 'IFLA_MTU') ?? 0,
    flags: flagNames(bits),
    up: (bits & 0x1) !== 0,
    carrier: (bits & 0x10000) !== 0,
    running: (bits & 0x41) === 0x41,
    operationalState: OPERATIONAL_STATES[state] ?? 'unknown',
    kind: kind ?? null,
    qdisc: attributeString(map, IFLA_QDISC) ?? null,
    transmitQueueLength: attributeU32(map, IFLA_TXQLEN, 'IFLA_TXQLEN') ?? null,
    // The kernel sends IFLA_LINK only when it differs from the link's own index (rtnl_fill_ifinfo).
    parentIndex: parent === undefined || parent === 0 ? null : parent,
    parentNamespaceId: netnsId === undefined ? null : netnsId | 0,
    masterIndex: master === undefined || master === 0 ? null : master,
  };
}

/** An RTM_GETLINK request body: struct ifinfomsg with family AF_UNSPEC, all else 0 (dump every link). */
export function linkDumpRequest(): Uint8Array {
  return new Uint8Array(IFINFOMSG_SIZE);
}
