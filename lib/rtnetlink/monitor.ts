// LinkMonitor: link and address events from the rtnetlink multicast groups (RTNLGRP_LINK,
// RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR), turned into typed events by comparing each message
// with what was known before: the kernel sends RTM_NEWLINK for every change of a link (often
// several for one `ip link set up`), and a reader wants to hear "it came up" once.
import { EventEmitter } from 'node:events';
import { messageCount, messageEntry } from '../core/batch-layout.js';
import { type IterateOptions, Receiver } from '../core/receiver.js';
import { checkBoolean, checkOptions } from '../core/validate.js';
import { DiagParseError, LITTLE_ENDIAN, NLMSG_DONE, NLMSG_ERROR, parseMessages, viewOf } from '../diag/netlink.js';
import { hasCode } from '../errors.js';
import { constants, type NativeSocketHandle, native } from '../native.js';
import { type InterfaceAddress, parseAddress } from './address.js';
import {
  NETLINK_ROUTE,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_LINK,
} from './constants.js';
import { listAddresses, listLinks } from './interfaces.js';
import { type Link, parseLink } from './link.js';

/**
 * A change of a link:
 * - 'link-added': a link appeared (`ip link add`);
 * - 'link-up' / 'link-down': it became able / unable to pass packets (`running` changed: IFF_UP
 *   and IFF_RUNNING, which the kernel sets when the operational state is up or unknown);
 * - 'link-changed': something else changed (MTU, name, flags, MAC, master);
 * - 'link-removed': it went away (`ip link del`, or its namespace ended).
 */
export interface LinkEvent {
  /** What happened (see above). */
  type: 'link-added' | 'link-up' | 'link-down' | 'link-changed' | 'link-removed';
  /** The link after the change (for 'link-removed': as it was last seen). */
  link: Link;
}

/**
 * A change of an address: 'address-added', 'address-removed', or 'address-changed' (flags or
 * lifetimes, e.g. an IPv6 address leaving 'tentative' when duplicate address detection passes).
 */
export interface AddressEvent {
  /** What happened (see above). */
  type: 'address-added' | 'address-removed' | 'address-changed';
  /** The address after the change (for 'address-removed': as the kernel last described it). */
  address: InterfaceAddress;
  /** The name of its interface, when the monitor knows the link (null after the link went). */
  interfaceName: string | null;
}

/** What a LinkMonitor yields. */
export type InterfaceEvent = LinkEvent | AddressEvent;

/** Options of {@link LinkMonitor.open}. */
export interface LinkMonitorOptions {
  /** Link events (RTNLGRP_LINK; default true). */
  links?: boolean;
  /** IPv4 address events (RTNLGRP_IPV4_IFADDR; default true). */
  ipv4?: boolean;
  /** IPv6 address events (RTNLGRP_IPV6_IFADDR; default true). */
  ipv6?: boolean;
}

const addressKey = (a: InterfaceAddress) => `${a.interfaceIndex}/${a.family}/${a.address}/${a.prefixLength}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const groupBit = (group: number) => 1 << (group - 1);

/**
 * Link up/down and address add/remove events of this network namespace, as an async iterable
 * and as 'event' events ('error' when the socket fails, 'close').
 *
 * The monitor subscribes before it reads the current state, so nothing that happens after
 * open() resolves is missed; when the kernel drops events because the reader fell behind
 * (ENOBUFS on the netlink socket), it reads the whole state again and reports the differences,
 * so the stream stays true to the kernel.
 * @example
 * const monitor = await LinkMonitor.open();
 * for await (const event of monitor) {
 *   if (event.type === 'link-up') console.log(event.link.name, 'is up');
 *   if (event.type === 'address-added') console.log(event.interfaceName, event.address.address);
 * }
 */
export class LinkMonitor extends EventEmitter {
  readonly #handle: NativeSocketHandle;
  readonly #receiver: Receiver<InterfaceEvent>;
  readonly #links = new Map<number, Link>();
  readonly #addresses = new Map<string, InterfaceAddress>();
  readonly #options: Required<LinkMonitorOptions>;
  /** Messages that arrived while the state was being (re)read: applied after it. */
  #pending: Uint8Array[] | null = [];
  #closed = false;
  /** False once a loop is full: reading pauses until the loops catch up. */
  #room = true;
  #resyncs = 0;

  private constructor(handle: NativeSocketHandle, options: Required<LinkMonitorOptions>) {
    super();
    this.#handle = handle;
    this.#options = options;
    // A loop that falls behind pauses reading: the kernel's queue fills, overflows (ENOBUFS) and
    // the monitor reads the whole state again when reading resumes; JS memory does not grow.
    this.#receiver = new Receiver<InterfaceEvent>(() => {
      if (!this.#closed) handle.resume();
    });
  }

  /**
   * Subscribes to the rtnetlink groups and reads the current links and addresses.
   * @throws TypeError for bad options; the kernel's error when the socket cannot be made.
   */
  static async open(options: LinkMonitorOptions = {}): Promise<LinkMonitor> {
    checkOptions('options', options, ['links', 'ipv4', 'ipv6'], 'LinkMonitor.open()');
    const resolved = { links: true, ipv4: true, ipv6: true, ...options };
    for (const key of ['links', 'ipv4', 'ipv6'] as const) checkBoolean(`options.${key}`, resolved[key]);
    const handle = new native.SocketHandle(constants.AF_NETLINK, constants.SOCK_RAW, NETLINK_ROUTE);
    const monitor = new LinkMonitor(handle, resolved);
    try {
      // struct sockaddr_nl { u16 family, u16 pad, u32 pid (0: the kernel assigns), u32 groups }.
      const address = new Uint8Array(12);
      const view = viewOf(address);
      view.setUint16(0, constants.AF_NETLINK, LITTLE_ENDIAN);
      let groups = 0;
      // Links are always followed: address events name their interface from them.
      groups |= groupBit(RTNLGRP_LINK);
      if (resolved.ipv4) groups |= groupBit(RTNLGRP_IPV4_IFADDR);
      if (resolved.ipv6) groups |= groupBit(RTNLGRP_IPV6_IFADDR);
      view.setUint32(8, groups, LITTLE_ENDIAN);
      native.bind(handle.fd, address);
      handle.onMessages = (data, meta) => monitor.#onMessages(data, meta);
      handle.onError = (error) => monitor.#onError(error);
      handle.startReceiving({ slots: 16, slotSize: 32 * 1024, flags: constants.MSG_TRUNC, budget: 8 });
      await monitor.#resync(false);
    } catch (error) {
      monitor.close();
      throw error;
    }
    return monitor;
  }

  /** The links as the monitor knows them now, by index. */
  get links(): ReadonlyMap<number, Link> {
    return this.#links;
  }

  /** The addresses as the monitor knows them now. */
  get addresses(): InterfaceAddress[] {
    return [...this.#addresses.values()];
  }

  /**
   * How often the kernel reported lost events (ENOBUFS, or a message cut short) and the monitor
   * read the whole state again to make up for them.
   */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Events with `for await`; `signal` ends the loop. */
  events(options?: IterateOptions): AsyncIterableIterator<InterfaceEvent> {
    return this.#receiver.iterate(options);
  }

  /** `for await (const event of monitor)`: the same as events(). */
  [Symbol.asyncIterator](): AsyncIterableIterator<InterfaceEvent> {
    return this.events();
  }

  /** Stops listening and ends every loop (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
    this.#receiver.end();
    this.emit('close');
  }

  #emitEvent(event: InterfaceEvent): void {
    if (!this.#receiver.push(event)) this.#room = false;
    this.emit('event', event);
  }

  #onMessages(data: Buffer, meta: Uint32Array): boolean {
    if (this.#closed) return false;
    this.#room = true;
    try {
      for (let i = 0; i < messageCount(meta); i++) {
        const { dataOffset: offset, captured, flags } = messageEntry(meta, i);
        if (flags & constants.MSG_TRUNC) {
          // A lost message: read everything again rather than miss what it said.
          void this.#resync(true);
          continue;
        }
        if (offset + captured > data.length) throw new DiagParseError('netlink: receive metadata out of range');
        const datagram = data.subarray(offset, offset + captured);
        if (this.#pending !== null) this.#pending.push(Buffer.from(datagram));
        else this.#apply(datagram);
      }
    } catch (error) {
      this.#fail(error);
      return false;
    }
    return !this.#closed && this.#room;
  }

  #apply(datagram: Uint8Array): void {
    for (const message of parseMessages(datagram)) {
      if (message.type === NLMSG_DONE || message.type === NLMSG_ERROR) continue;
      if (message.type === RTM_NEWLINK) this.#updateLink(parseLink(message.payload));
      else if (message.type === RTM_DELLINK) this.#removeLink(parseLink(message.payload));
      else if (message.type === RTM_NEWADDR || message.type === RTM_DELADDR) {
        const address = parseAddress(message.payload);
        if (address === null) continue;
        if (address.family === 4 && !this.#options.ipv4) continue;
        if (address.family === 6 && !this.#options.ipv6) continue;
        if (message.type === RTM_NEWADDR) this.#updateAddress(address);
        else this.#removeAddress(address);
      }
    }
  }

  #updateLink(link: Link): void {
    const before = this.#links.get(link.index);
    this.#links.set(link.index, link);
    if (!this.#options.links) return;
    if (before === undefined) {
      this.#emitEvent({ type: 'link-added', link });
      return;
    }
    if (before.running !== link.running) {
      this.#emitEvent({ type: link.running ? 'link-up' : 'link-down', link });
      return;
    }
    if (!same(before, link)) this.#emitEvent({ type: 'link-changed', link });
  }

  #removeLink(link: Link): void {
    const before = this.#links.get(link.index);
    if (!this.#links.delete(link.index)) return;
    if (this.#options.links) this.#emitEvent({ type: 'link-removed', link: before ?? link });
  }

  #updateAddress(address: InterfaceAddress): void {
    const key = addressKey(address);
    const before = this.#addresses.get(key);
    this.#addresses.set(key, address);
    const interfaceName = this.#links.get(address.interfaceIndex)?.name ?? null;
    if (before === undefined) this.#emitEvent({ type: 'address-added', address, interfaceName });
    else if (!same(before, address)) this.#emitEvent({ type: 'address-changed', address, interfaceName });
  }

  #removeAddress(address: InterfaceAddress): void {
    const key = addressKey(address);
    if (!this.#addresses.delete(key)) return;
    const interfaceName = this.#links.get(address.interfaceIndex)?.name ?? null;
    this.#emitEvent({ type: 'address-removed', address, interfaceName });
  }

  /**
   * Reads every link and address and makes the known state equal to it. With `report`, the
   * differences become events (after a loss); the first time they only set the state. Messages
   * that arrive meanwhile wait and are applied afterwards: they are newer than the dump or repeat
   * it, and applying a repeat changes nothing.
   */
  async #resync(report: boolean): Promise<void> {
    if (this.#pending !== null && report) return; // a resync is already running
    if (report) this.#resyncs++;
    this.#pending ??= [];
    try {
      const [links, addresses] = await Promise.all([listLinks(), listAddresses()]);
      if (this.#closed) return;
      const linkIndexes = new Set(links.map((l) => l.index));
      if (report) {
        for (const [index, link] of this.#links) if (!linkIndexes.has(index)) this.#removeLink(link);
      }
      for (const link of links) {
        if (report) this.#updateLink(link);
        else this.#links.set(link.index, link);
      }
      const wanted = addresses.filter((a) => (a.family === 4 ? this.#options.ipv4 : this.#options.ipv6));
      const keys = new Set(wanted.map(addressKey));
      if (report) {
        for (const [key, address] of this.#addresses) if (!keys.has(key)) this.#removeAddress(address);
      }
      for (const address of wanted) {
        if (report) this.#updateAddress(address);
        else this.#addresses.set(addressKey(address), address);
      }
      const pending = this.#pending;
      this.#pending = null;
      for (const datagram of pending) this.#apply(datagram);
    } catch (error) {
      this.#pending = null;
      if (report) this.#fail(error);
      else throw error;
    }
  }

  #onError(error: NodeJS.ErrnoException): void {
    if (this.#closed) return;
    // netlink(7): ENOBUFS means the socket's buffer overflowed and messages were lost.
    if (hasCode(error, 'ENOBUFS')) {
      void this.#resync(true);
      return;
    }
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const reported = error instanceof Error ? error : new Error(String(error));
    this.#receiver.fail(reported);
    if (this.listenerCount('error') > 0) this.emit('error', reported);
    this.close();
  }
}
