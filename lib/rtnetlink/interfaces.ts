// listInterfaces() and the address and route changes a DHCP lease needs, as NETLINK_ROUTE
// requests through lib/diag/dump.ts (one netlink socket per request, answers matched by sequence).
import { netlinkRequest } from '../diag/dump.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../diag/netlink.js';
import { invalidArgType } from '../errors.js';
import { resolveInterface } from '../packet/options.js';
import {
  type AddressChange,
  addressDumpRequest,
  addressMessage,
  type InterfaceAddress,
  parseAddress,
} from './address.js';
import {
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELADDR,
  RTM_DELROUTE,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
} from './constants.js';
import { type Link, linkDumpRequest, parseLink } from './link.js';
import { type RouteChange, routeMessage } from './route.js';

/**
 * A link with its addresses: what `ip addr` shows for one interface.
 * Unlike `os.networkInterfaces()`, links without any address are listed too.
 */
export interface NetworkInterface extends Link {
  /** IPv4 and IPv6 addresses, in the kernel's order (IPv4 first, as its dump goes). */
  addresses: InterfaceAddress[];
}

/** Options of every rtnetlink request. */
export interface RtnetlinkOptions {
  /** Give up after this long (default 5000 ms): ETIMEDOUT. */
  timeoutMs?: number;
}

/** Options of addAddress() and addRoute(). */
export interface ChangeOptions extends RtnetlinkOptions {
  /**
   * Replace what is there instead of failing with EEXIST (NLM_F_REPLACE, as `ip addr replace` /
   * `ip route replace`): an address keeps its place and gets the new lifetimes and broadcast.
   */
  replace?: boolean;
}

const createFlags = (options: ChangeOptions) => NLM_F_CREATE | (options.replace === true ? NLM_F_REPLACE : NLM_F_EXCL);

const route = (answerType?: number) => ({
  protocol: NETLINK_ROUTE,
  name: 'NETLINK_ROUTE',
  ...(answerType === undefined ? {} : { answerType }),
});

/** Every link in this network namespace (RTM_GETLINK dump), in index order. */
export async function listLinks(options: RtnetlinkOptions = {}): Promise<Link[]> {
  const payloads = await netlinkRequest(
    route(RTM_NEWLINK),
    { type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, body: linkDumpRequest() },
    options,
  );
  return payloads.map(parseLink).sort((a, b) => a.index - b.index);
}

/** Every IPv4 and IPv6 address in this network namespace (RTM_GETADDR dump). */
export async function listAddresses(options: RtnetlinkOptions = {}): Promise<InterfaceAddress[]> {
  const payloads = await netlinkRequest(
    route(RTM_NEWADDR),
    { type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, body: addressDumpRequest() },
    options,
  );
  return payloads.map(parseAddress).filter((address): address is InterfaceAddress => address !== null);
}

/**
 * The interfaces of this network namespace with their addresses: index, name, MAC, MTU, flags,
 * operational state, link kind and addresses, from an RTM_GETLINK and an RTM_GETADDR dump. A
 * link that appears or goes between the two dumps is listed as the link dump saw it.
 * @example
 * for (const link of await listInterfaces()) {
 *   console.log(link.index, link.name, link.mac, link.operationalState, link.addresses.map((a) => `${a.address}/${a.prefixLength}`));
 * }
 */
export async function listInterfaces(options: RtnetlinkOptions = {}): Promise<NetworkInterface[]> {
  const [links, addresses] = await Promise.all([listLinks(options), listAddresses(options)]);
  return links.map((link) => ({ ...link, addresses: addresses.filter((a) => a.interfaceIndex === link.index) }));
}

function interfaceIndex(value: unknown): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw invalidArgType('interface', 'an interface name or index', value);
  }
  return resolveInterface(value).index;
}

function change(type: number, flags: number, body: Uint8Array, options: RtnetlinkOptions): Promise<void> {
  return netlinkRequest(route(), { type, flags: NLM_F_REQUEST | NLM_F_ACK | flags, body }, options).then(() => {});
}

function checkChange(change: unknown, what: string): void {
  if (change === null || typeof change !== 'object') throw invalidArgType(what, 'an object', change);
}

/**
 * Adds an address to an interface (RTM_NEWADDR, as `ip addr add 192.0.2.10/24 dev eth0`).
 * The kernel also adds the prefix route. Needs CAP_NET_ADMIN.
 * @throws EEXIST when the interface already has the address (unless `replace`); EPERM without CAP_NET_ADMIN.
 * @example await addAddress({ interface: 'eth0', address: '192.0.2.10', prefixLength: 24, validLifetime: 3600 })
 */
export async function addAddress(address: AddressChange, options: ChangeOptions = {}): Promise<void> {
  checkChange(address, 'address');
  const index = interfaceIndex(address.interface);
  await change(RTM_NEWADDR, createFlags(options), addressMessage(address, index, true), options);
}

/**
 * Removes an address from an interface (RTM_DELADDR, as `ip addr del`).
 * @throws EADDRNOTAVAIL when the interface does not have it.
 * @example await deleteAddress({ interface: 'eth0', address: '192.0.2.10', prefixLength: 24 })
 */
export async function deleteAddress(address: AddressChange, options: RtnetlinkOptions = {}): Promise<void> {
  checkChange(address, 'address');
  const index = interfaceIndex(address.interface);
  await change(RTM_DELADDR, 0, addressMessage(address, index, false), options);
}

/**
 * Adds a route to the main table (RTM_NEWROUTE, as `ip route add default via 192.0.2.1 dev eth0`).
 * @throws EEXIST when the same route exists; ENETUNREACH when the gateway is not on a link.
 * @example await addRoute({ destination: '0.0.0.0', gateway: '192.0.2.1', interface: 'eth0', protocol: 'dhcp' })
 */
export async function addRoute(routeChange: RouteChange, options: ChangeOptions = {}): Promise<void> {
  checkChange(routeChange, 'route');
  const index = interfaceIndex(routeChange.interface);
  await change(RTM_NEWROUTE, createFlags(options), routeMessage(routeChange, index), options);
}

/**
 * Removes a route from the main table (RTM_DELROUTE, as `ip route del`).
 * @throws ESRCH when there is no such route.
 */
export async function deleteRoute(routeChange: RouteChange, options: RtnetlinkOptions = {}): Promise<void> {
  checkChange(routeChange, 'route');
  const index = interfaceIndex(routeChange.interface);
  await change(RTM_DELROUTE, 0, routeMessage(routeChange, index), options);
}
