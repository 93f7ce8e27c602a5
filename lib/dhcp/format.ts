// A lease as text: udhcpc's one-line summary, then one line per setting.
import type { DhcpLease } from './lease.js';

const seconds = (value: number) => (value === 0xffffffff ? 'infinite' : `${value} s`);

/**
 * The lines a DHCP client prints for a lease: udhcpc's summary ("lease of 192.0.2.50 obtained
 * from 192.0.2.1, lease time 3600"), then address, router, DNS, domain and times.
 * @example console.log(formatLease(await requestLease({ interface: 'eth0' })).join('\n'))
 */
export function formatLease(lease: DhcpLease): string[] {
  const time = lease.leaseTime === 0xffffffff ? 'infinite' : String(lease.leaseTime);
  const lines = [
    `lease of ${lease.address} obtained from ${lease.serverIdentifier}, lease time ${time}`,
    `  interface ${lease.interfaceName} (${lease.hardwareAddress})`,
    `  address   ${lease.address}/${lease.prefixLength} (mask ${lease.subnetMask}, broadcast ${lease.broadcastAddress})`,
    `  router    ${lease.routers.join(' ') || '(none)'}`,
    `  dns       ${lease.dnsServers.join(' ') || '(none)'}`,
  ];
  if (lease.domainName !== null) lines.push(`  domain    ${lease.domainName}`);
  if (lease.ntpServers.length > 0) lines.push(`  ntp       ${lease.ntpServers.join(' ')}`);
  if (lease.mtu !== null) lines.push(`  mtu       ${lease.mtu}`);
  lines.push(
    `  lease     ${seconds(lease.leaseTime)} (renew after ${seconds(lease.renewalTime)}, rebind after ${seconds(lease.rebindingTime)})`,
  );
  return lines;
}
