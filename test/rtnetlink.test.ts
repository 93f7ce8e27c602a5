// Interfaces, addresses, routes and link events over rtnetlink, compared with iproute2 (`ip -j`)
// on real links: loopback, a veth pair into a peer namespace, a dummy-less setup (user
// namespaces can make veth, not every kind).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addAddress,
  addRoute,
  deleteAddress,
  deleteRoute,
  type InterfaceEvent,
  LinkMonitor,
  listInterfaces,
  type NetworkInterface,
} from '../lib/rtnetlink/index.js';
import { run } from './helpers/netns.js';
import { checked, PeerNetns } from './helpers/peer-netns.js';
import { waitUntil } from './helpers/wait.js';

interface IpAddress {
  family: 'inet' | 'inet6';
  local: string;
  address?: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  label?: string;
  dynamic?: boolean;
  tentative?: boolean;
  noprefixroute?: boolean;
  nodad?: boolean;
  deprecated?: boolean;
  valid_life_time: number;
  preferred_life_time: number;
}

interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  qdisc?: string;
  operstate: string;
  txqlen?: number;
  link_type: string;
  address?: string;
  broadcast?: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: IpAddress[];
}

const ipJson = async (args: string[]) => JSON.parse((await checked('ip', ['-j', ...args])).stdout) as IpLink[];

/** `ip -j -d link` joined with `ip -j addr`, taken twice until both agree (other test files change links too). */
async function stableSnapshot(): Promise<{ ip: IpLink[]; ours: NetworkInterface[] }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = JSON.stringify([await ipJson(['-d', 'link']), await ipJson(['addr'])]);
    const ours = await listInterfaces();
    const [links, addresses] = [await ipJson(['-d', 'link']), await ipJson(['addr'])];
    // Lifetimes count down: compare snapshots without them.
    const strip = (text: string) => text.replace(/"(valid|preferred)_life_time":\d+/g, '');
    if (strip(before) !== strip(JSON.stringify([links, addresses]))) continue;
    const byIndex = new Map(addresses.map((a) => [a.ifindex, a.addr_info ?? []]));
    return { ip: links.map((l) => ({ ...l, addr_info: byIndex.get(l.ifindex) ?? [] })), ours };
  }
  throw new Error('the links kept changing while they were being compared');
}

const ipOperstate = (state: string) =>
  state.toLowerCase().replace('lowerlayerdown', 'lower-layer-down').replace('notpresent', 'not-present');

/** ip's flag list: our flags minus RUNNING, plus NO-CARRIER for up-without-running (M-DOWN is about the parent). */
function expectedIpFlags(link: NetworkInterface): string[] {
  const flags: string[] = link.flags.filter((f) => f !== 'RUNNING');
  if (link.up && !link.running) flags.unshift('NO-CARRIER');
  return flags.sort();
}

function compareAddress(ours: NetworkInterface['addresses'][number], ip: IpAddress): void {
  expect(ours.family === 4 ? 'inet' : 'inet6').toBe(ip.family);
  expect(ours.address).toBe(ip.local);
  expect(ours.peer).toBe(ip.address ?? null);
  expect(ours.prefixLength).toBe(ip.prefixlen);
  expect(ours.broadcast).toBe(ip.broadcast ?? null);
  expect(ours.scope).toBe(ip.scope);
  expect(ours.label).toBe(ip.label ?? null);
  expect(!ours.flags.includes('permanent')).toBe(ip.dynamic === true);
  expect(ours.flags.includes('tentative')).toBe(ip.tentative === true);
  expect(ours.flags.includes('noprefixroute')).toBe(ip.noprefixroute === true);
  expect(ours.flags.includes('nodad')).toBe(ip.nodad === true);
  // Lifetimes count down between the two reads: at most a second or two apart.
  for (const [mine, theirs] of [
    [ours.validLifetime, ip.valid_life_time],
    [ours.preferredLifetime, ip.preferred_life_time],
  ] as const) {
    if (theirs === 4294967295) expect(mine).toBe(theirs);
    else expect(Math.abs(mine - theirs)).toBeLessThanOrEqual(2);
  }
}

let pair: PeerNetns;

beforeAll(async () => {
  pair = await PeerNetns.create();
  // A second address with a lifetime and a label, an IPv6 address without DAD, and a link that is
  // down and has no address at all (which os.networkInterfaces() would not list).
  await checked('ip', [
    'addr',
    'add',
    `${pair.subnet}.3/24`,
    'dev',
    pair.local,
    'label',
    `${pair.local}:x`,
    'valid_lft',
    '600',
    'preferred_lft',
    '300',
  ]);
  await checked('ip', [
    '-6',
    'addr',
    'add',
    `fd7e:${(process.pid % 0xffff).toString(16)}::1/64`,
    'dev',
    pair.local,
    'nodad',
  ]);
  await checked('ip', [
    'link',
    'add',
    `${pair.local}d`,
    'mtu',
    '1400',
    'type',
    'veth',
    'peer',
    'name',
    `${pair.local}e`,
  ]);
});

afterAll(async () => {
  await run('ip', ['link', 'del', `${pair.local}d`]);
  await pair?.close();
});

describe('listInterfaces', () => {
  it('equals ip -j -d link and ip -j addr, field by field, for every link', async () => {
    const { ip, ours } = await stableSnapshot();
    expect(ours.map((l) => l.index)).toEqual(ip.map((l) => l.ifindex).sort((a, b) => a - b));
    for (const link of ours) {
      const theirs = ip.find((l) => l.ifindex === link.index) as IpLink;
      expect(link.name).toBe(theirs.ifname);
      expect(link.mtu).toBe(theirs.mtu);
      expect(link.operationalState).toBe(ipOperstate(theirs.operstate));
      expect(link.linkType).toBe(theirs.link_type);
      expect(link.mac).toBe(theirs.address ?? null);
      expect(link.broadcast).toBe(theirs.broadcast ?? null);
      expect(link.kind).toBe(theirs.linkinfo?.info_kind ?? null);
      expect(link.qdisc).toBe(theirs.qdisc ?? null);
      expect(link.transmitQueueLength).toBe(theirs.txqlen ?? null);
      expect(expectedIpFlags(link)).toEqual(theirs.flags.filter((f) => f !== 'M-DOWN').sort());
      expect(link.up).toBe(theirs.flags.includes('UP'));
      expect(link.carrier).toBe(theirs.flags.includes('LOWER_UP'));
      // ip names the parent when it is in this namespace, else gives its index.
      const parent = link.parentIndex === null ? null : ours.find((l) => l.index === link.parentIndex)?.name;
      if (theirs.link !== undefined) expect(parent).toBe(theirs.link);
      else if (theirs.link_index !== undefined) expect(link.parentIndex).toBe(theirs.link_index);
      else expect(link.parentIndex).toBeNull();
      expect(link.parentNamespaceId).toBe(theirs.link_netnsid ?? null);
      expect(link.addresses.length).toBe(theirs.addr_info?.length);
      link.addresses.forEach((address, i) => {
        compareAddress(address, theirs.addr_info?.[i] as IpAddress);
      });
    }
    // What the comparison covered: a veth into another namespace with three addresses, a link
    // without addresses, loopback.
    const local = ours.find((l) => l.name === pair.local) as NetworkInterface;
    expect(local.kind).toBe('veth');
    expect(local.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toEqual(
      expect.arrayContaining([`${pair.localIp}/24`, `${pair.subnet}.3/24`]),
    );
    expect(local.addresses.find((a) => a.label === `${pair.local}:x`)?.flags).toContain('secondary');
    const bare = ours.find((l) => l.name === `${pair.local}d`) as NetworkInterface;
    expect(bare).toMatchObject({ mtu: 1400, up: false, operationalState: 'down', addresses: [] });
    expect(ours.find((l) => l.name === 'lo')).toMatchObject({ linkType: 'loopback', kind: null });
  });
});

describe('address and route changes', () => {
  it('adds and removes an address with a lifetime and a route as ip shows them', async () => {
    const address = `${pair.subnet}.40`;
    await addAddress({ interface: pair.local, address, prefixLength: 26, validLifetime: 900, preferredLifetime: 600 });
    const shown = (await ipJson(['addr', 'show', pair.local]))[0]?.addr_info?.find((a) => a.local === address);
    expect(shown).toMatchObject({ prefixlen: 26, broadcast: `${pair.subnet}.63`, dynamic: true });
    expect(shown?.valid_life_time).toBeGreaterThan(890);
    expect(shown?.preferred_life_time).toBeLessThanOrEqual(600);
    await expect(addAddress({ interface: pair.local, address, prefixLength: 26 })).rejects.toMatchObject({
      code: 'EEXIST',
      syscall: 'sendmsg',
    });

    const target = `198.51.100.0`;
    await addRoute({
      destination: target,
      prefixLength: 24,
      gateway: pair.peerIp,
      interface: pair.local,
      protocol: 'dhcp',
      metric: 50,
    });
    const routes = JSON.parse((await checked('ip', ['-j', 'route', 'show', `${target}/24`])).stdout);
    expect(routes).toEqual([
      expect.objectContaining({
        dst: `${target}/24`,
        gateway: pair.peerIp,
        dev: pair.local,
        protocol: 'dhcp',
        metric: 50,
      }),
    ]);
    await deleteRoute({
      destination: target,
      prefixLength: 24,
      gateway: pair.peerIp,
      interface: pair.local,
      protocol: 'dhcp',
      metric: 50,
    });
    expect(JSON.parse((await checked('ip', ['-j', 'route', 'show', `${target}/24`])).stdout)).toEqual([]);
    await expect(
      addRoute({ destination: '203.0.113.0', prefixLength: 24, gateway: '192.0.2.77', interface: pair.local }),
    ).rejects.toMatchObject({ code: 'ENETUNREACH' });

    await deleteAddress({ interface: pair.local, address, prefixLength: 26 });
    const after = (await ipJson(['addr', 'show', pair.local]))[0]?.addr_info?.map((a) => a.local);
    expect(after).not.toContain(address);
    await expect(deleteAddress({ interface: pair.local, address, prefixLength: 26 })).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
    });
  });

  it.each([
    [{ interface: 'no-such-if0', address: '192.0.2.1', prefixLength: 24 }, 'ENODEV'],
    [{ interface: 'lo', address: '192.0.2.1', prefixLength: 33 }, 'ERR_OUT_OF_RANGE'],
    [{ interface: 'lo', address: 'fe80::1', prefixLength: 129 }, 'ERR_OUT_OF_RANGE'],
    [{ interface: 'lo', address: '192.0.2.300', prefixLength: 24 }, 'ERR_INVALID_ARG_VALUE'],
    [{ interface: 'lo', address: 7, prefixLength: 24 }, 'ERR_INVALID_ARG_TYPE'],
    [{ interface: {}, address: '192.0.2.1', prefixLength: 24 }, 'ERR_INVALID_ARG_TYPE'],
    [{ interface: 'lo', address: '192.0.2.1', prefixLength: 24, validLifetime: -1 }, 'ERR_OUT_OF_RANGE'],
    [
      { interface: 'lo', address: '192.0.2.1', prefixLength: 24, validLifetime: 10, preferredLifetime: 20 },
      'ERR_OUT_OF_RANGE',
    ],
    [{ interface: 'lo', address: '192.0.2.1', prefixLength: 24, broadcast: 'x' }, 'ERR_INVALID_ARG_VALUE'],
    [null, 'ERR_INVALID_ARG_TYPE'],
  ])('addAddress(%j) fails with %s', async (change, code) => {
    await expect(addAddress(change as never)).rejects.toMatchObject({ code });
  });

  it.each([
    [{ destination: '0.0.0.0', gateway: 'fe80::1', interface: 'lo' }, 'ERR_INVALID_ARG_VALUE'],
    [{ destination: '0.0.0.0', interface: 'lo', metric: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ destination: '0.0.0.0', interface: 'lo', protocol: 'static' }, 'ERR_INVALID_ARG_VALUE'],
    [{ destination: 'default', interface: 'lo' }, 'ERR_INVALID_ARG_VALUE'],
  ])('addRoute(%j) fails with %s', async (change, code) => {
    await expect(addRoute(change as never)).rejects.toMatchObject({ code });
  });
});

describe('LinkMonitor', () => {
  it('reports a veth added, set up, addressed, set down and deleted, once each', async () => {
    const monitor = await LinkMonitor.open();
    const a = `${pair.local}m`;
    const b = `${pair.local}n`;
    const events: InterfaceEvent[] = [];
    const mine = (e: InterfaceEvent) =>
      'link' in e ? [a, b].includes(e.link.name) : [a, b].includes(e.interfaceName ?? '');
    const loop = (async () => {
      for await (const event of monitor) if (mine(event)) events.push(event);
    })();
    const summary = () =>
      events.map((e) =>
        'link' in e ? `${e.type} ${e.link.name}` : `${e.type} ${e.interfaceName} ${e.address.address}`,
      );
    const waitFor = async (line: string) => {
      if (!(await waitUntil(() => summary().includes(line))))
        throw new Error(`no '${line}' in ${summary().join(', ')}`);
    };
    await checked('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    await waitFor(`link-added ${a}`);
    await waitFor(`link-added ${b}`);
    await checked('ip', ['link', 'set', a, 'up']);
    await checked('ip', ['link', 'set', b, 'up']);
    await waitFor(`link-up ${a}`);
    await waitFor(`link-up ${b}`);
    await checked('ip', ['addr', 'add', '192.0.2.9/28', 'brd', '+', 'dev', a]);
    await checked('ip', ['-6', 'addr', 'add', 'fd7f::9/64', 'dev', a, 'nodad']);
    await waitFor(`address-added ${a} 192.0.2.9`);
    await waitFor(`address-added ${a} fd7f::9`);
    await checked('ip', ['addr', 'del', '192.0.2.9/28', 'dev', a]);
    await waitFor(`address-removed ${a} 192.0.2.9`);
    await checked('ip', ['link', 'set', b, 'down']);
    await waitFor(`link-down ${b}`);
    await waitFor(`link-down ${a}`); // its peer went down: no carrier
    await checked('ip', ['link', 'del', a]);
    await waitFor(`link-removed ${a}`);
    await waitFor(`link-removed ${b}`);
    monitor.close();
    await loop;
    const lines = summary();
    // Each transition once, in the kernel's order for each link.
    for (const line of [
      `link-added ${a}`,
      `link-up ${a}`,
      `link-down ${a}`,
      `link-removed ${a}`,
      `address-added ${a} 192.0.2.9`,
    ]) {
      expect(lines.filter((l) => l === line)).toHaveLength(1);
    }
    const order = (line: string) => lines.indexOf(line);
    expect(order(`link-added ${a}`)).toBeLessThan(order(`link-up ${a}`));
    expect(order(`link-up ${a}`)).toBeLessThan(order(`address-added ${a} 192.0.2.9`));
    expect(order(`link-down ${a}`)).toBeLessThan(order(`link-removed ${a}`));
    const added = events.find((e) => e.type === 'address-added' && e.address.address === '192.0.2.9');
    expect(added).toMatchObject({ address: { family: 4, prefixLength: 28, broadcast: '192.0.2.15', scope: 'global' } });
    const up = events.find((e) => e.type === 'link-up' && e.link.name === a);
    expect(up).toMatchObject({ link: { kind: 'veth', running: true, operationalState: 'up' } });
  });

  it('knows the links and addresses that exist when it opens, and ends its loops on close', async () => {
    const monitor = await LinkMonitor.open({ ipv6: false });
    const local = [...monitor.links.values()].find((l) => l.name === pair.local);
    expect(local?.kind).toBe('veth');
    expect(monitor.addresses.some((a) => a.address === pair.localIp)).toBe(true);
    expect(monitor.addresses.every((a) => a.family === 4)).toBe(true);
    const loop = monitor.events()[Symbol.asyncIterator]().next();
    monitor.close();
    await expect(loop).resolves.toEqual({ value: undefined, done: true });
    monitor.close();
    expect(monitor.closed).toBe(true);
  });

  it('after the kernel dropped events (ENOBUFS), reads the state again and reports each change once', async () => {
    const monitor = await LinkMonitor.open({ ipv6: false });
    const errors: unknown[] = [];
    monitor.on('error', (error) => errors.push(error));
    // A loop that does not read yet: after 4 events the monitor stops reading, and the kernel's
    // queue for it overflows while 1500 addresses are added.
    const loop = monitor.events({ highWaterMark: 4 });
    const commands = Array.from(
      { length: 1500 },
      (_, i) => `addr add 198.19.${Math.floor(i / 250)}.${(i % 250) + 1}/32 dev ${pair.local}`,
    );
    await run('ip', ['-batch', '-'], { input: `${commands.join('\n')}\n` });
    const added = new Set<string>();
    let lines = 0;
    for await (const event of loop) {
      lines++;
      if (event.type === 'address-added' && event.address.address.startsWith('198.19.')) {
        expect(added.has(event.address.address)).toBe(false);
        added.add(event.address.address);
      }
      if (added.size === 1500) break;
    }
    expect(added.size).toBe(1500);
    expect(monitor.addresses.filter((a) => a.address.startsWith('198.19.'))).toHaveLength(1500);
    expect(errors).toEqual([]);
    expect(monitor.resyncs).toBeGreaterThanOrEqual(1); // the overflow did happen
    expect(lines).toBeGreaterThanOrEqual(1500);
    monitor.close();
    await run('ip', ['-batch', '-'], {
      input: `${commands.map((c) => c.replace('addr add', 'addr del')).join('\n')}\n`,
    });
  });

  it('refuses bad options', async () => {
    await expect(LinkMonitor.open({ ipv4: 'yes' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(LinkMonitor.open(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(LinkMonitor.open({ link: true } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});
