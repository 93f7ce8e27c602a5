// RTM_NEWROUTE / RTM_DELROUTE bodies (struct rtmsg + RTA_* attributes) for the routes a lease
// brings: a default route via the router, or a route to a prefix on a link.

import { checkInteger, checkOneOf, invalidArgType, invalidArgValue } from '../core/validate.js';
import { viewOf } from '../diag/netlink.js';
import { checkAddress } from './address.js';
import {
  AF_INET,
  AF_INET6,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTMSG_SIZE,
  RTN_UNICAST,
  RTPROT_BOOT,
  RTPROT_DHCP,
} from './constants.js';
import { attribute, attributeU32, concat } from './encode.js';

/**
 * A route to add or remove (in the main table).
 * @example { destination: '0.0.0.0', prefixLength: 0, gateway: '192.0.2.1', interface: 'eth0', protocol: 'dhcp' }
 */
export interface RouteChange {
  /** Destination prefix's address; '0.0.0.0' (or '::') with prefixLength 0 is the default route. */
  destination: string;
  /** Destination prefix length (default 0). */
  prefixLength?: number;
  /** Next hop; without it the destination is on the link itself (scope link). */
  gateway?: string;
  /** Output interface, name or index. */
  interface: number | string;
  /** Preferred source address for packets on this route (RTA_PREFSRC). */
  source?: string;
  /** Route metric (RTA_PRIORITY, `ip route … metric N`); default 0. */
  metric?: number;
  /** Who installed it, as `ip route` prints it (rtm_protocol): 'boot' (default, what `ip route add` uses) or 'dhcp'. */
  protocol?: 'boot' | 'dhcp';
}

/** @internal The rtmsg body for a route change on interface `index`. */
export function routeMessage(change: RouteChange, index: number): Uint8Array {
  if (change === null || typeof change !== 'object') throw invalidArgType('route', 'an object', change);
  const destination = checkAddress('destination', change.destination, change.prefixLength ?? 0);
  const family = destination.family;
  const familyBytes = (name: string, text: unknown): Buffer => {
    const checked = checkAddress(name, text, 0);
    if (checked.family !== family)
      throw invalidArgValue(name, `must be an IPv${family} address like the destination`, text);
    return checked.bytes;
  };
  const metric = checkInteger('metric', change.metric ?? 0, 0, 0xffffffff);
  const protocol = checkOneOf('protocol', change.protocol ?? 'boot', ['boot', 'dhcp']);
  const header = new Uint8Array(RTMSG_SIZE);
  const view = viewOf(header);
  view.setUint8(0, family === 4 ? AF_INET : AF_INET6);
  view.setUint8(1, destination.prefixLength);
  view.setUint8(4, RT_TABLE_MAIN);
  view.setUint8(5, protocol === 'dhcp' ? RTPROT_DHCP : RTPROT_BOOT);
  // ip route's rule: a route without a gateway reaches its destination on the link itself.
  view.setUint8(6, change.gateway === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  view.setUint8(7, RTN_UNICAST);
  const parts = [header, attributeU32(RTA_TABLE, RT_TABLE_MAIN), attributeU32(RTA_OIF, index)];
  if (destination.prefixLength > 0) parts.push(attribute(RTA_DST, destination.bytes));
  if (change.gateway !== undefined) parts.push(attribute(RTA_GATEWAY, familyBytes('gateway', change.gateway)));
  if (change.source !== undefined) parts.push(attribute(RTA_PREFSRC, familyBytes('source', change.source)));
  if (metric !== 0) parts.push(attributeU32(RTA_PRIORITY, metric));
  return concat(parts);
}
