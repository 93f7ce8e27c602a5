// applyLease(): what udhcpc's default script does with a lease, over rtnetlink instead of `ip`.
import { checkOptions, invalidArgType } from '../core/validate.js';
import { addAddress, addRoute } from '../rtnetlink/interfaces.js';
import type { DhcpLease } from './lease.js';

/** Options of {@link applyLease}. */
export interface ApplyLeaseOptions {
  /** Add the default route via the first router (default true). */
  defaultRoute?: boolean;
  /** Its metric (default 0). */
  routeMetric?: number;
}

/**
 * Configures the interface with a lease: the address with its prefix and broadcast, valid for the
 * lease time (the kernel removes it when the lease runs out unless it is renewed: IFA_CACHEINFO),
 * and a default route via the first router marked `proto dhcp`. Applying the same lease again
 * (a renewal) replaces the address's lifetimes and the route instead of failing. DNS servers are
 * left to the caller (`lease.dnsServers`): where they go (/etc/resolv.conf, systemd-resolved)
 * is the system's business. Needs CAP_NET_ADMIN.
 * @throws EPERM without CAP_NET_ADMIN; ENETUNREACH when the router is not on the leased subnet.
 * @example await applyLease(await requestLease({ interface: 'eth0' }))
 */
export async function applyLease(lease: DhcpLease, options: ApplyLeaseOptions = {}): Promise<void> {
  checkOptions('options', options, ['defaultRoute', 'routeMetric'], 'applyLease()');
  if (lease === null || typeof lease !== 'object') throw invalidArgType('lease', 'a lease from requestLease()', lease);
  const lifetime = lease.leaseTime;
  await addAddress(
    {
      interface: lease.interfaceIndex,
      address: lease.address,
      prefixLength: lease.prefixLength,
      broadcast: lease.broadcastAddress,
      ...(lifetime === 0xffffffff ? {} : { validLifetime: lifetime, preferredLifetime: lifetime }),
    },
    { replace: true },
  );
  const router = lease.routers[0];
  if (router !== undefined && options.defaultRoute !== false) {
    await addRoute(
      {
        destination: '0.0.0.0',
        prefixLength: 0,
        gateway: router,
        interface: lease.interfaceIndex,
        protocol: 'dhcp',
        metric: options.routeMetric ?? 0,
      },
      { replace: true },
    );
  }
}
