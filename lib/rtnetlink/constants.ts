// rtnetlink(7) numbers from <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h> and
// <linux/if.h>. They are kernel ABI (never renumbered), so they live here rather than in the addon.
import type { AddressFlag } from './address.js';
import type { InterfaceFlag, OperationalState } from './link.js';

/** NETLINK_ROUTE: the netlink protocol of links, addresses and routes. */
export const NETLINK_ROUTE = 0;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;

export const NLM_F_ACK = 0x4;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_REPLACE = 0x100;

/** Multicast groups (rtnetlink(7) RTNLGRP_*): bind() takes them as the bit 1 << (group - 1). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

/** sizeof(struct ifinfomsg): family u8, pad u8, type u16, index i32, flags u32, change u32. */
export const IFINFOMSG_SIZE = 16;
/** sizeof(struct ifaddrmsg): family u8, prefixlen u8, flags u8, scope u8, index u32. */
export const IFADDRMSG_SIZE = 8;
/** sizeof(struct rtmsg): family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), flags u32. */
export const RTMSG_SIZE = 12;

// struct ifinfomsg attributes (IFLA_*).
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_MASTER = 10;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
/** s32: the peer namespace's id when IFLA_LINK is an index there. */
export const IFLA_LINK_NETNSID = 37;
/** Nested in IFLA_LINKINFO: the driver kind ('veth', 'bridge', …) as a string. */
export const IFLA_INFO_KIND = 1;

// struct ifaddrmsg attributes (IFA_*).
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
/** u32 flags; the u8 ifa_flags holds only the low 8 bits. */
export const IFA_FLAGS = 8;

// struct rtmsg attributes (RTA_*).
export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;

export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
/** rtm_protocol DHCP: routes a DHCP client installed (what `ip route` prints as "proto dhcp"). */
export const RTPROT_DHCP = 16;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RTN_UNICAST = 1;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * Interface flags (netdevice(7) IFF_*), named as `ip link` prints them. ip prints neither
 * RUNNING (it prints NO-CARRIER for UP without RUNNING instead) nor the derived M-DOWN.
 */
export const INTERFACE_FLAGS: readonly (readonly [InterfaceFlag, number])[] = [
  ['UP', 0x1],
  ['BROADCAST', 0x2],
  ['DEBUG', 0x4],
  ['LOOPBACK', 0x8],
  ['POINTOPOINT', 0x10],
  ['NOTRAILERS', 0x20],
  ['RUNNING', 0x40],
  ['NOARP', 0x80],
  ['PROMISC', 0x100],
  ['ALLMULTI', 0x200],
  ['MASTER', 0x400],
  ['SLAVE', 0x800],
  ['MULTICAST', 0x1000],
  ['PORTSEL', 0x2000],
  ['AUTOMEDIA', 0x4000],
  ['DYNAMIC', 0x8000],
  ['LOWER_UP', 0x10000],
  ['DORMANT', 0x20000],
  ['ECHO', 0x40000],
];

/** IF_OPER_* (RFC 2863 operational states) in kernel order 0..6. */
export const OPERATIONAL_STATES: readonly OperationalState[] = [
  'unknown',
  'not-present',
  'down',
  'lower-layer-down',
  'testing',
  'dormant',
  'up',
];

/** IFA_F_* address flags, named as `ip addr` prints them (ip prints "dynamic" for an address without PERMANENT). */
export const ADDRESS_FLAGS: readonly (readonly [AddressFlag, number])[] = [
  ['secondary', 0x01],
  ['nodad', 0x02],
  ['optimistic', 0x04],
  ['dadfailed', 0x08],
  ['home', 0x10],
  ['deprecated', 0x20],
  ['tentative', 0x40],
  ['permanent', 0x80],
  ['mngtmpaddr', 0x100],
  ['noprefixroute', 0x200],
  ['autojoin', 0x400],
  ['stable-privacy', 0x800],
];

/** rtm_scope / ifa_scope names as `ip` prints them (rt_scopes): others are printed as numbers. */
export const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

/** ARPHRD_* names as `ip link` prints them for the common link types (link_type). */
export const HARDWARE_TYPES: Record<number, string> = {
  1: 'ether',
  24: 'ieee1394',
  32: 'infiniband',
  512: 'ppp',
  768: 'ipip',
  769: 'tunnel6',
  772: 'loopback',
  776: 'sit',
  778: 'gre',
  823: 'ip6gre',
  65534: 'none',
};
