// requestLease() against real DHCP servers across a veth pair: dnsmasq and busybox udhcpd in a
// peer namespace. The lease must equal what the server recorded in its lease file; applyLease()
// must configure what `ip` then shows; a link without a server must end in a clear timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { udpPort } from '../lib/bpf/builders.js';
import { verifyTransportChecksum } from '../lib/decode/checksum.js';
import { decodeIPv4 } from '../lib/decode/ipv4.js';
import {
  applyLease,
  DhcpConflictError,
  DhcpTimeoutError,
  releaseLease,
  renewLease,
  requestLease,
} from '../lib/dhcp/index.js';
import { type Packet, PacketSocket } from '../lib/packet/index.js';
import { listInterfaces } from '../lib/rtnetlink/index.js';
import { type DhcpServer, startDnsmasq, startUdhcpd } from './helpers/dhcp-servers.js';
import { checked, PeerNetns } from './helpers/peer-netns.js';
import { waitUntil } from './helpers/wait.js';

let pair: PeerNetns | undefined;

afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** A fresh pair whose local end has no address (as a booting client's), the server's end has one. */
async function link(): Promise<PeerNetns> {
  pair = await PeerNetns.create({ localAddress: false });
  return pair;
}

async function expectRecorded(server: DhcpServer, mac: string, address: string, hostName: string) {
  const recorded = (await server.leases()).filter((l) => l.mac === mac);
  expect(recorded).toHaveLength(1);
  expect(recorded[0]?.address).toBe(address);
  expect(recorded[0]?.hostName).toBe(hostName);
  // The lease the server keeps runs out when ours does (a few seconds passed since).
  expect(recorded[0]?.expiresIn).toBeGreaterThan(server.leaseTime - 30);
  expect(recorded[0]?.expiresIn).toBeLessThanOrEqual(server.leaseTime);
}

describe.each([
  ['dnsmasq', startDnsmasq, 3600],
  ['busybox udhcpd', startUdhcpd, 600],
] as const)('against %s', (_name, start, leaseTime) => {
  it('gets the lease the server records, with its router, DNS and lease time', async () => {
    const pair = await link();
    const server = await start(pair, leaseTime);
    const lease = await requestLease({ interface: pair.local, hostName: 'rawsock-client', retransmitMs: 1000 });
    expect(lease).toMatchObject({
      interfaceName: pair.local,
      hardwareAddress: pair.localMac,
      subnetMask: '255.255.255.0',
      prefixLength: 24,
      broadcastAddress: `${pair.subnet}.255`,
      routers: [server.router],
      dnsServers: server.dns,
      domainName: server.domain,
      leaseTime,
      serverIdentifier: pair.peerIp,
    });
    expect(lease.address.startsWith(`${pair.subnet}.`)).toBe(true);
    expect(lease.renewalTime).toBe(leaseTime / 2);
    expect(lease.rebindingTime).toBe((leaseTime * 7) / 8);
    expect(lease.ack.options.messageType).toBe('ack');
    await expectRecorded(server, pair.localMac, lease.address, 'rawsock-client');
  });

  it('applies the lease: address with its lifetime, default route via the router, and the server reachable', async () => {
    const pair = await link();
    const server = await start(pair, leaseTime);
    const lease = await requestLease({ interface: pair.local, retransmitMs: 1000 });
    await applyLease(lease);
    const local = (await listInterfaces()).find((l) => l.name === pair.local);
    const address = local?.addresses.find((a) => a.family === 4);
    expect(address).toMatchObject({ address: lease.address, prefixLength: 24, broadcast: `${pair.subnet}.255` });
    expect(address?.validLifetime).toBeGreaterThan(leaseTime - 30);
    expect(address?.flags).not.toContain('permanent');
    const routes = JSON.parse((await checked('ip', ['-j', 'route', 'show', 'default', 'dev', pair.local])).stdout);
    expect(routes).toEqual([expect.objectContaining({ dst: 'default', gateway: server.router, protocol: 'dhcp' })]);
    // A renewal applies the same lease again without EEXIST.
    await applyLease(lease);
    const ping = await checked('ping', ['-c', '1', '-W', '5', pair.peerIp]);
    expect(ping.stdout).toContain('1 received');
  });

  it('renews the lease by unicast from the leased address and releases it', async () => {
    const pair = await link();
    const server = await start(pair, leaseTime);
    const lease = await requestLease({ interface: pair.local, retransmitMs: 1000 });
    await applyLease(lease);
    const renewed = await renewLease(lease, { retransmitMs: 1000 });
    expect(renewed).toMatchObject({ address: lease.address, leaseTime, serverIdentifier: pair.peerIp });
    expect(renewed.obtainedAt.getTime()).toBeGreaterThanOrEqual(lease.obtainedAt.getTime());
    await expectRecorded(server, pair.localMac, lease.address, '');
    await releaseLease(renewed);
    // The server forgets (dnsmasq) or expires (udhcpd) the lease it recorded.
    expect(
      await waitUntil(
        async () => (await server.leases()).every((l) => l.mac !== pair.localMac || l.expiresIn <= 0),
        10_000,
      ),
    ).toBe(true);
  });
});

describe('received UDP checksums', () => {
  /** The DHCP replies that reach our end while a lease is requested, with tp_status and whether the checksum verifies. */
  async function repliesDuring(start: (pair: PeerNetns) => Promise<DhcpServer>, broadcastFlag = false) {
    const pair = await link();
    await start(pair);
    const capture = PacketSocket.create({
      mode: 'cooked',
      protocol: 'ipv4',
      interface: pair.local,
      filter: udpPort(68, 'dst').toProgram({ framing: 'cooked' }),
      ignoreOutgoing: true,
    });
    const seen: { status: number; verifies: boolean; destination: string }[] = [];
    capture.on('packet', (packet: Packet) => {
      const ip = decodeIPv4(packet.data);
      if (!ip.ok) return;
      const segment = ip.payload;
      seen.push({
        status: packet.status,
        verifies: verifyTransportChecksum({ source: ip.source, destination: ip.destination, protocol: 17, segment }),
        destination: ip.destination,
      });
    });
    let address = '';
    try {
      const lease = await requestLease({ interface: pair.local, retransmitMs: 1000, broadcastFlag });
      address = lease.address;
      expect(address.startsWith(`${pair.subnet}.`)).toBe(true);
      // The offer and the ack; the ring hands its last block over within its retire timeout.
      await waitUntil(() => seen.length >= 2, 5000);
    } finally {
      capture.close();
    }
    return { seen, address };
  }

  it('accepts the offloaded, not yet computed ones a veth delivers from a UDP socket (dnsmasq)', async () => {
    // dnsmasq answers through an ordinary UDP socket: on veth the checksum is left partial
    // (CHECKSUM_PARTIAL), so the reply reaches the packet socket flagged TP_STATUS_CSUMNOTREADY
    // with only the pseudo-header sum in the field: checking it would wrongly reject the reply.
    const { seen, address } = await repliesDuring(startDnsmasq);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((reply) => !reply.verifies && (reply.status & 8) === 8)).toBe(true);
    // Without the BROADCAST flag dnsmasq unicasts to the address it offers (RFC 2131 §4.1).
    expect(seen.map((reply) => reply.destination)).toEqual(seen.map(() => address));
  });

  it('verifies complete ones (udhcpd builds its replies whole on a packet socket)', async () => {
    const { seen } = await repliesDuring(startUdhcpd);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((reply) => reply.verifies && (reply.status & 8) === 0)).toBe(true);
  });

  it('with the BROADCAST flag set, the server broadcasts its replies (udhcpc -B)', async () => {
    const { seen } = await repliesDuring(startDnsmasq, true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((reply) => reply.destination === '255.255.255.255')).toBe(true);
  });
});

it('with checkAddress, declines an address another host answers ARP for and takes the next one', async () => {
  const pair = await link();
  const taken = `${pair.subnet}.50`;
  // The peer already has .50; dnsmasq is told to give it to us, and has .51 left in its range.
  await pair.exec('ip', ['addr', 'add', `${taken}/24`, 'dev', pair.peer]);
  const server = await startDnsmasq(pair, 3600, { rangeEnd: 51, args: [`--dhcp-host=${pair.localMac},${taken}`] });
  const lease = await requestLease({
    interface: pair.local,
    retransmitMs: 1000,
    attempts: 2,
    // Unicast replies to .50 would stay inside the peer, which has that address: ask for broadcasts.
    broadcastFlag: true,
    checkAddress: { probes: 2, initialDelayMs: 0, minIntervalMs: 100, maxIntervalMs: 100, waitMs: 300 },
    declineWaitMs: 100,
  });
  expect(lease.address, server.log()).toBe(`${pair.subnet}.51`);
  expect(server.log()).toContain(`DHCPDECLINE(${pair.peer}) ${taken} ${pair.localMac}`);
  expect(server.log()).toContain(`address in use by ${pair.peerMac}`);
  await expectRecorded(server, pair.localMac, lease.address, '');
});

it('with checkAddress, fails with DhcpConflictError when every address offered is in use', async () => {
  const pair = await link();
  // The peer has the whole range, .50 to .52: whatever dnsmasq offers next is taken.
  for (const host of [50, 51, 52])
    await pair.exec('ip', ['addr', 'add', `${pair.subnet}.${host}/24`, 'dev', pair.peer]);
  const server = await startDnsmasq(pair, 3600, {
    rangeEnd: 52,
    args: [`--dhcp-host=${pair.localMac},${pair.subnet}.50`],
  });
  const error = await requestLease({
    interface: pair.local,
    retransmitMs: 500,
    attempts: 2,
    broadcastFlag: true,
    checkAddress: { probes: 1, initialDelayMs: 0, waitMs: 300 },
    declineWaitMs: 50,
  }).catch((e) => e);
  expect(error, server.log()).toBeInstanceOf(DhcpConflictError);
  expect(error).toMatchObject({ code: 'ERR_RAWSOCK_DHCP_CONFLICT', conflictingMac: pair.peerMac });
  expect(server.log().match(/DHCPDECLINE/g)).toHaveLength(3);
});

it('gives a timeout error naming the phase when no server answers', async () => {
  const pair = await link();
  const started = Date.now();
  const error = await requestLease({ interface: pair.local, attempts: 2, retransmitMs: 200 }).catch((e) => e);
  expect(error).toBeInstanceOf(DhcpTimeoutError);
  expect(error).toMatchObject({ code: 'ETIMEDOUT', phase: 'offer', attempts: 2 });
  expect(error.message).toContain(`no DHCPOFFER on ${pair.local} after 2 DHCPDISCOVER`);
  // 200 ms then 400 ms, each ±25 %.
  expect(Date.now() - started).toBeGreaterThanOrEqual(450);
});

it('stops at once on abort', async () => {
  const pair = await link();
  const controller = new AbortController();
  const pending = requestLease({ interface: pair.local, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
});

it.each([
  [{ interface: 'no-such-if0' }, 'ENODEV'],
  [{ interface: 'lo', attempts: 0 }, 'ERR_OUT_OF_RANGE'],
  [{ interface: 'lo', retransmitMs: 1.5 }, 'ERR_OUT_OF_RANGE'],
  [{ interface: 'lo', signal: 'x' }, 'ERR_INVALID_ARG_TYPE'],
  [{ interface: 'lo', hostName: 7 }, 'ERR_INVALID_ARG_TYPE'],
  [{ interface: 'lo', requestedAddress: 'x' }, 'ERR_INVALID_ARG_VALUE'],
  [{ interface: 'lo', retransmit: 100 }, 'ERR_INVALID_ARG_VALUE'], // misspelt: not silently ignored
  [{ interface: 'lo', broadcastFlag: 1 }, 'ERR_INVALID_ARG_TYPE'],
  [{ interface: 'lo', checkAddress: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
  [null, 'ERR_INVALID_ARG_TYPE'],
])('requestLease(%j) fails with %s before sending', async (options, code) => {
  await expect(requestLease(options as never)).rejects.toMatchObject({ code });
});
