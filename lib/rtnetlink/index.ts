// Interfaces, addresses, routes and link events over rtnetlink (NETLINK_ROUTE, rtnetlink(7)):
// what `ip link`, `ip addr`, `ip route add` and `ip monitor` do, without running them. See
// docs/interfaces.md.
export type { AddressChange, AddressFlag, InterfaceAddress } from './address.js';
export {
  addAddress,
  addRoute,
  type ChangeOptions,
  deleteAddress,
  deleteRoute,
  listAddresses,
  listInterfaces,
  listLinks,
  type NetworkInterface,
  type RtnetlinkOptions,
} from './interfaces.js';
export type { InterfaceFlag, Link, OperationalState } from './link.js';
export {
  type AddressEvent,
  type InterfaceEvent,
  type LinkEvent,
  LinkMonitor,
  type LinkMonitorOptions,
} from './monitor.js';
export type { RouteChange } from './route.js';
