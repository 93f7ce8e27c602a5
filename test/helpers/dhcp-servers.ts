// Real DHCP servers in a peer namespace: dnsmasq (Debian dnsmasq-base) and busybox udhcpd, each
// with a lease file that the tests read back to compare with the lease the client got.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checked, type PeerNetns } from './peer-netns.js';
import { waitUntil } from './wait.js';

/** One lease as the server recorded it. */
export interface RecordedLease {
  mac: string;
  address: string;
  hostName: string;
  /** Seconds the lease still has, as the server says. */
  expiresIn: number;
}

export interface DhcpServer {
  /** The settings it hands out. */
  readonly router: string;
  readonly dns: string[];
  readonly domain: string | null;
  readonly leaseTime: number;
  readonly rangeStart: string;
  /** The lease file read back through the server's own format. */
  leases(): Promise<RecordedLease[]>;
  /** Everything it logged so far. */
  log(): string;
}

function collect(child: import('node:child_process').ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    text += chunk;
  });
  return () => text;
}

/**
 * dnsmasq serving DHCP only (port=0: no DNS) on the peer's end. It runs as root (-u root): the
 * user namespace has no "nobody" to drop to. Lease file lines: expiry-epoch mac ip host client-id.
 */
export async function startDnsmasq(
  pair: PeerNetns,
  leaseTime = 3600,
  extra: { rangeEnd?: number; args?: string[] } = {},
): Promise<DhcpServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rawsock-dnsmasq-'));
  const leaseFile = path.join(dir, 'leases');
  writeFileSync(leaseFile, '');
  const router = pair.peerIp;
  const dns = [pair.peerIp, '192.0.2.53'];
  const domain = 'rawsock.test';
  const child = pair.spawn('dnsmasq', [
    '--no-daemon',
    '--port=0',
    '-u',
    'root',
    '--pid-file=',
    '--no-resolv',
    '--no-hosts',
    `--interface=${pair.peer}`,
    '--bind-interfaces',
    `--dhcp-range=${pair.subnet}.50,${pair.subnet}.${extra.rangeEnd ?? 99},255.255.255.0,${leaseTime}`,
    `--dhcp-leasefile=${leaseFile}`,
    `--dhcp-option=option:router,${router}`,
    `--dhcp-option=option:dns-server,${dns.join(',')}`,
    `--domain=${domain}`,
    '--log-dhcp',
    // No ping of an address before offering it (3 s per offer): the link is ours alone.
    '--no-ping',
    ...(extra.args ?? []),
  ]);
  const log = collect(child);
  if (!(await waitUntil(() => /started, version/.test(log()), 10_000))) {
    throw new Error(`dnsmasq did not start: ${log()}`);
  }
  return {
    router,
    dns,
    domain,
    leaseTime,
    rangeStart: `${pair.subnet}.50`,
    log,
    async leases() {
      const now = Math.floor(Date.now() / 1000);
      return readFileSync(leaseFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [expiry, mac, address, hostName] = line.split(' ') as [string, string, string, string];
          return { mac, address, hostName: hostName === '*' ? '' : hostName, expiresIn: Number(expiry) - now };
        });
    },
  };
}

/**
 * busybox udhcpd on the peer's end. Its lease file is binary and written on SIGUSR1 (or every
 * auto_time): leases() signals it, then reads the file with `busybox dumpleases`.
 */
export async function startUdhcpd(pair: PeerNetns, leaseTime = 600): Promise<DhcpServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rawsock-udhcpd-'));
  const leaseFile = path.join(dir, 'leases');
  const config = path.join(dir, 'udhcpd.conf');
  const router = pair.peerIp;
  const dns = ['192.0.2.53', '192.0.2.54'];
  writeFileSync(
    config,
    [
      `start ${pair.subnet}.100`,
      `end ${pair.subnet}.120`,
      `interface ${pair.peer}`,
      `lease_file ${leaseFile}`,
      `pidfile ${path.join(dir, 'pid')}`,
      `option subnet 255.255.255.0`,
      `option router ${router}`,
      `option dns ${dns.join(' ')}`,
      `option lease ${leaseTime}`,
      '',
    ].join('\n'),
  );
  // -f: foreground; -S: log to syslog too is not wanted; busybox logs to stderr in the foreground.
  const child = pair.spawn('busybox', ['udhcpd', '-f', config]);
  const log = collect(child);
  if (!(await waitUntil(() => /started/.test(log()), 10_000))) throw new Error(`udhcpd did not start: ${log()}`);
  return {
    router,
    dns,
    domain: null,
    leaseTime,
    rangeStart: `${pair.subnet}.100`,
    log,
    async leases() {
      child.kill('SIGUSR1');
      let text = '';
      await waitUntil(async () => {
        const result = await checked('busybox', ['dumpleases', '-f', leaseFile]).catch(() => null);
        text = result?.stdout ?? '';
        return text.split('\n').length > 2;
      }, 5000);
      // Mac Address       IP Address      Host Name           Expires in
      // 02:..:..          172.16.1.100    box                 0:09:59
      return text
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => {
          const [mac, address, ...rest] = line.trim().split(/\s+/) as [string, string, ...string[]];
          const expires = rest.pop() as string;
          // An expired (or released) lease says so instead of a time.
          const [h, m, s] =
            expires === 'expired' ? [0, 0, 0] : (expires.split(':').map(Number) as [number, number, number]);
          const days = /(\d+) days?,/.exec(line)?.[1];
          return {
            mac,
            address,
            hostName: rest.filter((part) => !/days?,?$/.test(part) && !/^\d+$/.test(part)).join(' '),
            expiresIn: Number(days ?? 0) * 86400 + h * 3600 + m * 60 + s,
          };
        });
    },
  };
}
