// What a DHCPACK grants, as the fields a program configures the interface with.
import type { DhcpMessage } from './message.js';

/** A lease: the address and settings a DHCP server assigned, and until when. */
export interface DhcpLease {
  /** The interface it is for. */
  interfaceName: string;
  /** That interface's index. */
  interfaceIndex: number;
  /** The interface's MAC (the lease's chaddr). */
  hardwareAddress: string;
  /** The assigned address (yiaddr). */
  address: string;
  /** Subnet mask (option 1); without it the address class's mask (RFC 2131 leaves it to the client). */
  subnetMask: string;
  /** The mask as a prefix length: 24 for 255.255.255.0. */
  prefixLength: number;
  /** Broadcast address (option 28), else derived from address and mask. */
  broadcastAddress: string;
  /** Routers (option 3), first preferred; empty when none. */
  routers: string[];
  /** DNS servers (option 6); empty when none. */
  dnsServers: string[];
  /** Domain name (option 15), or null. */
  domainName: string | null;
  /** NTP servers (option 42). */
  ntpServers: string[];
  /** Interface MTU (option 26), or null. */
  mtu: number | null;
  /** Lease time in seconds (option 51; 0xffffffff: infinite). */
  leaseTime: number;
  /** Renewal time T1 in seconds (option 58, default half the lease, RFC 2131 §4.4.5). */
  renewalTime: number;
  /** Rebinding time T2 in seconds (option 59, default 7/8 of the lease). */
  rebindingTime: number;
  /** The server that granted it (option 54). */
  serverIdentifier: string;
  /** When the DHCPACK arrived. */
  obtainedAt: Date;
  /** The DHCPACK itself, every option included. */
  ack: DhcpMessage;
}

const INFINITE = 0xffffffff;

function ipToNumber(address: string): number {
  return address.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

function numberToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** The prefix length of a contiguous mask, or null when the mask has holes. */
export function maskToPrefix(mask: string): number | null {
  const bits = ipToNumber(mask);
  let prefix = 0;
  while (prefix < 32 && bits & (0x80000000 >>> prefix)) prefix++;
  const expected = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return bits === expected ? prefix : null;
}

/** The classful mask of an address (A /8, B /16, C /24): udhcpc's fallback without option 1. */
function classMask(address: string): string {
  const first = Number(address.split('.')[0]);
  if (first < 128) return '255.0.0.0';
  if (first < 192) return '255.255.0.0';
  return '255.255.255.0';
}

/** @internal The lease a DHCPACK grants. */
export function leaseFromAck(
  ack: DhcpMessage,
  link: { interfaceName: string; interfaceIndex: number; hardwareAddress: string },
): DhcpLease {
  const o = ack.options;
  let subnetMask = o.subnetMask ?? classMask(ack.yourAddress);
  let prefixLength = maskToPrefix(subnetMask);
  if (prefixLength === null) {
    subnetMask = classMask(ack.yourAddress);
    prefixLength = maskToPrefix(subnetMask) as number;
  }
  const network = ipToNumber(ack.yourAddress) & ipToNumber(subnetMask);
  const broadcast = (network | (~ipToNumber(subnetMask) >>> 0)) >>> 0;
  const leaseTime = o.leaseTime ?? INFINITE;
  const share = (fraction: number) => (leaseTime === INFINITE ? INFINITE : Math.floor(leaseTime * fraction));
  return {
    ...link,
    address: ack.yourAddress,
    subnetMask,
    prefixLength,
    broadcastAddress: o.broadcastAddress ?? numberToIp(broadcast),
    routers: o.routers ?? [],
    dnsServers: o.dnsServers ?? [],
    domainName: o.domainName ?? null,
    ntpServers: o.ntpServers ?? [],
    mtu: o.interfaceMtu ?? null,
    leaseTime,
    renewalTime: o.renewalTime ?? share(0.5),
    rebindingTime: o.rebindingTime ?? share(0.875),
    serverIdentifier: o.serverIdentifier ?? '0.0.0.0',
    obtainedAt: new Date(),
    ack,
  };
}
