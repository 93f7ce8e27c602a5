// PacketSocket: an AF_PACKET socket (packet(7)) opened without a window for unfiltered packets,
// received through a TPACKET_V3 ring (or recvmmsg), in batches or packet by packet.

import { constants as osConstants } from 'node:os';
import { batchItems } from '../core/batch-items.js';
import { setBufferSize } from '../core/buffer-size.js';
import { coalesceReceiveOptions } from '../core/coalesce.js';
import { DatagramSocket, toBytes } from '../core/datagram-socket.js';
import { deprecate } from '../core/deprecate.js';
import { type IterateOptions, Receiver } from '../core/receiver.js';
import { checkBoolean } from '../core/validate.js';
import { formatMac } from '../decode/address.js';
import { explain, hasCode, invalidArgType, invalidArgValue, socketClosed, systemError } from '../errors.js';
import { constants, type NativeSocketHandle, native } from '../native.js';
import { type BatchContext, type CaptureLinkType, Packet, PacketBatch } from './batch.js';
import { fanoutValue } from './fanout.js';
import {
  attachProgram,
  checkProgram,
  DROP_ALL,
  type FilterProgram,
  installProgram,
  lockProgram,
  readProgram,
} from './filter.js';
import { decodeLinkLayer, encodeLinkLayer, parseHardwareAddress } from './link-address.js';
import { LiveFilter } from './live-filter.js';
import { changeMembership, checkMulticastMac } from './membership.js';
import {
  DEFAULT_RING,
  type PacketSocketOptions,
  type ProtocolName,
  type ResolvedOptions,
  resolveInterface,
  resolveOptions,
  resolveProtocol,
} from './options.js';
import { type PacketSocketStats, StatsCounter } from './stats.js';

/**
 * One packet of sendBatch(): its bytes and send()'s options.
 * @example { data: frame, interface: 'eth0' }
 */
export interface PacketDatagram extends PacketSendOptions {
  /** The frame ('raw') or network-layer packet ('cooked'). */
  data: Uint8Array | string;
}

/**
 * Where send() puts a packet.
 * @example await cooked.send(ipv4Packet, { interface: 'eth0', protocol: 'ipv4', destination: 'ff:ff:ff:ff:ff:ff' })
 */
export interface PacketSendOptions {
  /** Interface to send on (name or index); default the one the socket is bound to. */
  interface?: string | number;
  /**
   * EtherType (`sll_protocol`). 'cooked' sockets put it in the link header they build; default
   * the socket's protocol (required when that is 'all').
   */
  protocol?: number | ProtocolName;
  /** 'cooked' sockets: the link-layer destination ('aa:bb:cc:dd:ee:ff' or bytes); required there. */
  destination?: string | Uint8Array;
}

/** How the socket receives: the TPACKET_V3 ring, or recvmmsg(2) when the ring was off or failed. */
export type ReceiveMode = 'ring' | 'recvmmsg';

const { ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NONE } = constants;

/** SO_RCVBUF asked for on the recvmmsg path when none is given: as much as the default ring. */
const RECVMMSG_BUFFER = DEFAULT_RING.blockSize * DEFAULT_RING.blockCount;
const packetCount = (batch: PacketBatch): number => batch.length;
const BATCH_PACKETS = { count: packetCount, item: (batch: PacketBatch, i: number) => new Packet(batch, i) };

const CAP_NET_RAW_HINT =
  'packet sockets need CAP_NET_RAW: run as root, grant the capability to node ' +
  '(sudo setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"), ' +
  'or run inside a user + network namespace (unshare --user --map-root-user --net)';

/**
 * A Linux packet socket.
 *
 * Events: 'packet' (each Packet), 'batch' (each PacketBatch), 'message' (same as 'packet', for
 * code written against any rawsock socket), 'error', 'close'. Reading starts with the first
 * listener or loop; until then packets wait in the ring (and are dropped, counted, when it fills).
 *
 * Receiving is backpressured: when a `for await` loop falls behind, the socket stops reading and
 * the kernel counts what it cannot queue (`stats().dropped`); JS memory does not grow.
 * @example
 * const socket = PacketSocket.create({ interface: 'lo', filter: bpf.compile('udp port 5000'), ignoreOutgoing: true });
 * socket.on('packet', (packet) => console.log(packet.interfaceName, packet.originalLength));
 * setTimeout(() => {
 *   console.log(socket.stats());
 *   socket.close();
 * }, 1000);
 */
export class PacketSocket extends DatagramSocket<Packet> {
  /** 'raw' (link header included) or 'cooked'. */
  readonly mode: 'raw' | 'cooked';
  /** The EtherType bound, host order (3 = every protocol). */
  readonly protocol: number;
  /** Interface index bound, 0 for every interface. */
  readonly interfaceIndex: number;
  /** Interface name bound, null for every interface. */
  readonly interfaceName: string | null;
  /** Most bytes kept per packet. */
  readonly snapLength: number;
  /** ARPHRD_* type of the bound interface (1 Ethernet/veth, 772 loopback); 0 for every interface. */
  readonly hardwareType: number;
  /** The bound interface's own link-layer address ('' for every interface). */
  readonly hardwareAddress: string;
  /**
   * The pcap link type of this socket's packets: 'ethernet' (LINKTYPE_ETHERNET, DLT_EN10MB) for
   * raw sockets on Ethernet-like interfaces (Ethernet, veth, loopback), 'raw' (LINKTYPE_RAW) on
   * interfaces without a link header, 'linux-sll' (LINKTYPE_LINUX_SLL) for cooked sockets and
   * for raw sockets on every interface or other link types.
   */
  readonly linkType: CaptureLinkType;
  /** 'ring' or 'recvmmsg'. */
  readonly receiveMode: ReceiveMode;
  /** Why the default ring could not be set up, when receiveMode fell back to 'recvmmsg'. */
  readonly ringError: Error | null;
  /** The fanout group joined, or null. */
  readonly fanoutGroup: number | null;

  readonly #native: NativeSocketHandle;
  readonly #stats = new StatsCounter();
  #reusesMemory = false;
  readonly #batches: Receiver<PacketBatch>;
  readonly #names = new Map<number, string>();
  readonly #context: BatchContext;
  readonly #filter: LiveFilter;
  #filterLocked = false;
  #allMulticast = false;
  /**
   * Multicast memberships held, by "ifindex/mac", with the kernel's per-socket count: the kernel
   * ignores a drop of one not held (packet_mc_drop returns 0), so the socket says so itself.
   */
  readonly #memberships = new Map<string, number>();
  #lastSend: {
    interface: PacketSendOptions['interface'];
    protocol: PacketSendOptions['protocol'];
    destination: PacketSendOptions['destination'];
    address: Buffer | null;
  } | null = null;

  /**
   * Opens a packet socket. Every option is checked, the filter attached and the ring set up
   * before the socket is bound (packet(7): a socket created with protocol 0 receives nothing
   * until bind), so no packet the filter rejects is ever received.
   *
   * @throws TypeError/RangeError for bad options, ENODEV for an unknown interface, EPERM with a
   * hint when the process lacks CAP_NET_RAW.
   * @example const socket = PacketSocket.create({ mode: 'cooked', protocol: 'ipv6', interface: 'eth0' });
   */
  static create(options: PacketSocketOptions = {}): PacketSocket {
    const resolved = resolveOptions(options);
    try {
      return new PacketSocket(resolved);
    } catch (error) {
      const denied = hasCode(error, 'EPERM') || hasCode(error, 'EACCES');
      throw denied && error.syscall === 'socket' ? explain(error, CAP_NET_RAW_HINT) : error;
    }
  }

  /**
   * The old name of {@link PacketSocket.create}, kept for one minor version.
   * @deprecated Use PacketSocket.create() (RAWSOCK_DEP0001, docs/sockets.md).
   */
  static open(options: PacketSocketOptions = {}): PacketSocket {
    deprecate('RAWSOCK_DEP0001', 'PacketSocket.open() and UdpSniffer.open() are deprecated: use create()');
    return PacketSocket.create(options);
  }

  private constructor(options: ResolvedOptions) {
    super(constants.AF_PACKET, options.type, 0, null);
    this.#native = this.handle;
    this.#native.onPackets = (data, meta, byteLength) => this.#receivePackets(data, meta, byteLength);
    this.#filter = new LiveFilter(options.mode);
    this.mode = options.mode;
    this.protocol = options.protocol;
    this.interfaceIndex = options.interfaceIndex;
    this.interfaceName = options.interfaceName;
    this.snapLength = options.snapLength;
    this.#batches = new Receiver<PacketBatch>(() => this.resumeReading());
    let receiveMode: ReceiveMode = 'recvmmsg';
    let ringError: Error | null = null;
    let hardwareType = 0;
    let hardwareAddress = '';
    try {
      const fd = this.fd;
      // 1. The filter, while the socket (protocol 0) still receives nothing. A fanout member
      //    starts with drop-all so it takes no packet of its own before it has joined the group.
      if (options.fanout) {
        attachProgram(fd, DROP_ALL);
      } else if (options.filter) {
        attachProgram(fd, options.filter);
        this.#filter.set(options.filter);
      }
      // 2. Socket options.
      if (options.ignoreOutgoing && !options.fanout) {
        try {
          native.setsockopt(fd, constants.SOL_PACKET, constants.PACKET_IGNORE_OUTGOING, 1);
        } catch (error) {
          throw hasCode(error, 'ENOPROTOOPT') ? explain(error, 'ignoreOutgoing needs Linux 4.20 or later') : error;
        }
      }
      // Memberships (lib/packet/membership.ts): per socket, undone by the kernel on close.
      if (options.promiscuous) changeMembership(fd, true, options.interfaceIndex, 'promiscuous');
      if (options.allMulticast) changeMembership(fd, true, options.interfaceIndex, 'all-multicast');
      for (const mac of options.multicast) {
        changeMembership(fd, true, options.interfaceIndex, 'multicast', mac);
        this.#memberships.set(`${options.interfaceIndex}/${mac.toString('hex')}`, 1);
      }
      if (options.receiveBufferSize !== null) setBufferSize(fd, 'receive', options.receiveBufferSize);
      if (options.sendBufferSize !== null) setBufferSize(fd, 'send', options.sendBufferSize);
      // 3. The receive path. Allocating a ring on a bound socket drops packets, so it comes first.
      if (options.ring) {
        try {
          native.packet.attachRing(this.#native, { ...options.ring, snapLength: options.snapLength });
          receiveMode = 'ring';
          this.#reusesMemory = options.ring.reuseBatchMemory;
        } catch (error) {
          if (options.ringExplicit) throw explain(error, 'cannot set up the TPACKET_V3 ring with this geometry');
          ringError = error as Error;
        }
      }
      if (receiveMode === 'recvmmsg') {
        // The fallback gets the ring's memory budget as its kernel queue (RECVMMSG_BUFFER), and
        // coalesces as UDP sockets do ('auto': rest 1 ms after a wake-up that read more than one
        // packet): read packet by packet at the sender's full rate it lost 4% (bench/capture).
        if (options.receiveBufferSize === null) setBufferSize(fd, 'receive', RECVMMSG_BUFFER);
        native.packet.attachPacketReader(this.#native, {
          slots: 64,
          slotSize: Math.max(64, Math.min(options.snapLength, 65600)),
          snapLength: options.snapLength,
          budget: 4,
          ...coalesceReceiveOptions('auto'),
        });
      }
      // 4. Bind last: from here on packets flow, and only through the filter.
      native.bind(fd, encodeLinkLayer({ protocol: options.protocol, interfaceIndex: options.interfaceIndex }));
      if (options.interfaceIndex !== 0) {
        // packet(7) getsockname(): sll_hatype and sll_addr of the bound device.
        const self = decodeLinkLayer(native.getsockname(fd));
        hardwareType = self?.hardwareType ?? 0;
        hardwareAddress = self?.address ?? '';
      }
      // 5. Fanout needs a bound socket; the real filter replaces drop-all once the member is in.
      if (options.fanout) {
        native.setsockopt(
          fd,
          constants.SOL_PACKET,
          constants.PACKET_FANOUT,
          fanoutValue(options.fanout, options.ignoreOutgoing),
        );
        // The member's own program replaces its drop-all (none: every packet of its share).
        installProgram(fd, options.filter ?? null);
        this.#filter.set(options.filter ?? null);
      }
      this.#allMulticast = options.allMulticast;
      if (options.lockFilter) {
        lockProgram(fd);
        this.#filterLocked = true;
      }
    } catch (error) {
      this.close();
      throw error;
    }
    this.receiveMode = receiveMode;
    this.ringError = ringError;
    this.hardwareType = hardwareType;
    this.hardwareAddress = hardwareAddress;
    this.fanoutGroup = options.fanout ? options.fanout.group : null;
    if (this.mode === 'cooked') {
      this.linkType = 'linux-sll';
    } else if (hardwareType === ARPHRD_ETHER || hardwareType === ARPHRD_LOOPBACK) {
      this.linkType = 'ethernet';
    } else if (hardwareType === ARPHRD_NONE) {
      this.linkType = 'raw';
    } else {
      this.linkType = 'linux-sll';
    }
    const names = this.#names;
    this.#context = {
      mode: this.mode,
      linkType: this.linkType,
      interfaceName(index: number): string {
        let name = names.get(index);
        if (name === undefined) {
          try {
            name = native.ifIndexToName(index);
          } catch {
            name = `if${index}`;
          }
          names.set(index, name);
        }
        return name;
      },
    };
    if (this.interfaceName !== null) names.set(this.interfaceIndex, this.interfaceName);
  }

  protected override readsEvent(event: string | symbol): boolean {
    return event === 'message' || event === 'packet' || event === 'batch';
  }

  protected override hasReaders(): boolean {
    return (
      this.listenerCount('message') > 0 ||
      this.listenerCount('packet') > 0 ||
      this.listenerCount('batch') > 0 ||
      this.#batches.size > 0
    );
  }

  /**
   * One batch of the packet readers (onPackets). With reuseBatchMemory the buffer is larger than
   * the batch and holds its metadata too: the batch sees exactly its `byteLength` bytes.
   */
  #receivePackets(data: Buffer, meta: Uint32Array, byteLength: number): boolean {
    const bytes = byteLength === data.length ? data : data.subarray(0, byteLength);
    let batch = new PacketBatch(bytes, meta, this.#context, this.#reusesMemory);
    if (this.#filter.staleExpected) {
      const rechecked = this.#filter.recheck(batch);
      batch = rechecked.batch;
      this.#stats.discarded += rechecked.discarded;
    }
    const total = batch.length;
    if (total === 0) return true;
    // A callback may replace the filter in the middle of a batch: every consumer after that gets
    // only the packets the new program passes. A packet counts as delivered when some consumer
    // got it; the first consumer gets the most, so the tally is a maximum.
    const filter = this.#filter;
    let generation = filter.generation;
    /** Re-checks the packets from `from` on if the filter changed since; true when it did. */
    const refilter = (from: number): boolean => {
      if (filter.generation === generation) return false;
      batch = filter.refilter(batch, from);
      generation = filter.generation;
      return true;
    };
    let delivered = 0;
    let sent = 0;
    let room = true;
    try {
      if (this.listenerCount('batch') > 0) {
        for (const listener of this.rawListeners('batch')) {
          refilter(0);
          if (batch.length === 0) return true;
          delivered = Math.max(delivered, batch.length);
          Reflect.apply(listener, this, [batch]);
          if (this.closed) return false;
        }
      }
      refilter(0);
      if (batch.length === 0) return true;
      // Borrowed memory (ring.reuseBatchMemory) is overwritten by the next batch: everything that
      // outlives this call (loops, Packet objects) gets a copy.
      if (
        batch.borrowed &&
        (this.#batches.size > 0 ||
          this.listenerCount('packet') > 0 ||
          this.listenerCount('message') > 0 ||
          this.loopCount > 0)
      ) {
        batch = batch.copy();
      }
      if (this.#batches.size > 0) {
        delivered = Math.max(delivered, batch.length);
        if (!this.#batches.push(batch)) room = false;
      }
      const packetListeners = this.listenerCount('packet') > 0;
      // 'message' listeners and messages() loops of the base class (a PacketSocket's own loops
      // took the whole batch above): asked once per batch, not per packet.
      const messageReaders = this.listenerCount('message') > 0 || this.loopCount > 0;
      if (packetListeners || messageReaders) {
        for (let i = 0; i < batch.length; i++) {
          // A callback replaced the filter: the rest of this batch was captured under the old one.
          if (refilter(i)) {
            i = 0;
            if (batch.length === 0) break;
          }
          const packet = new Packet(batch, i);
          sent++;
          if (packetListeners) this.emit('packet', packet);
          if (messageReaders && !this.deliverMessage(packet)) room = false;
          if (this.closed) return false;
        }
      }
      return room;
    } finally {
      delivered = Math.max(delivered, sent);
      this.#stats.delivered += delivered;
      this.#stats.discarded += total - delivered;
    }
  }

  // --- receiving -------------------------------------------------------------------------------

  /** Packets one by one with `for await` (same as messages()). */
  packets(options?: IterateOptions): AsyncIterableIterator<Packet> {
    return this.messages(options);
  }

  /**
   * Packets one by one with `for await`. Underneath, the loop takes whole batches (one promise
   * per batch, the packets of the batch it holds handed out at once); `highWaterMark` still
   * counts packets (default 4096): once that many wait, whole batches, the socket stops reading.
   */
  override messages(options: IterateOptions = {}): AsyncIterableIterator<Packet> {
    if (this.closed) throw socketClosed();
    const batches = this.#batches.iterate(options, () => this.pauseIfIdle(), 4096, packetCount);
    this.resumeReading();
    return batchItems(batches, BATCH_PACKETS, options.signal);
  }

  protected override failOwnLoops(error: Error): boolean {
    if (this.#batches.size === 0) return false;
    this.#batches.fail(error);
    return true;
  }

  /**
   * Whole batches with `for await`: the cheapest way to receive, one object per ring block.
   * `highWaterMark` counts batches (default 4).
   * @example
   * for await (const batch of socket.batches()) {
   *   for (let i = 0; i < batch.length; i++) total += batch.capturedLength(i);
   * }
   */
  batches(options: IterateOptions = {}): AsyncIterableIterator<PacketBatch> {
    if (this.closed) throw socketClosed();
    const iterator = this.#batches.iterate(options, () => this.pauseIfIdle(), 4);
    this.resumeReading();
    return iterator;
  }

  // --- filters ---------------------------------------------------------------------------------

  /** The program attached (as given), or null. */
  get filter(): FilterProgram | null {
    return this.#filter.program;
  }

  /** True once lockFilter() (or the lockFilter option) made the program permanent. */
  get filterLocked(): boolean {
    return this.#filterLocked;
  }

  /**
   * Replaces the filter (or removes it with null), race-free: not one packet the new program
   * rejects is delivered after this call, even under a flood (REFERENCE: attach drop-all, empty
   * what was queued under the old program, attach the new one). With the ring, blocks filled
   * under the old program are re-checked in user space with the new one (lib/bpf vm); with
   * recvmmsg, what was queued is discarded. Both count in `stats().discarded`.
   *
   * Called from a callback in the middle of a batch, it applies to the rest of that batch too:
   * later listeners, loops and packets get only what the new program passes. Packets already
   * queued for a `for await` loop before the call were delivered under the old program and stay
   * queued. The re-check sees what was captured: a program that reads past the snap length
   * rejects those packets (`len` is the length on the wire, as in the kernel).
   *
   * When the kernel refuses the new program (ENOMEM: net.core.optmem_max) the previous one is
   * attached again and the error thrown; with recvmmsg, what was queued is discarded all the same.
   * @throws EPERM when the filter is locked; BpfValidationError for a program the validator refuses;
   * the kernel's error (ENOMEM) for one it refuses.
   * @example socket.setFilter(bpf.compile('tcp port 443'))
   */
  setFilter(program: FilterProgram | null): void {
    const handle = this.handle;
    const next = program === null ? null : checkProgram(program);
    this.#filter.replace(handle, this.receiveMode === 'ring', next, (n) => {
      this.#stats.discarded += n;
    });
  }

  /** Removes the filter (race-free, as setFilter(null)). */
  detachFilter(): void {
    this.setFilter(null);
  }

  /** SO_LOCK_FILTER: the current program can no longer be replaced or removed, by anyone holding the descriptor. */
  lockFilter(): void {
    lockProgram(this.handle.fd);
    this.#filterLocked = true;
  }

  /** The program the kernel holds (SO_GET_FILTER), or null. */
  kernelFilter(): FilterProgram | null {
    return readProgram(this.handle.fd);
  }

  // --- memberships -----------------------------------------------------------------------------

  /**
   * Receives frames for a multicast MAC too (PACKET_ADD_MEMBERSHIP / PACKET_MR_MULTICAST on the
   * bound interface, or `interface`): the device's multicast filter lets them in while this
   * socket holds the membership. Memberships are counted per socket and dropped on close.
   * @throws ERR_INVALID_ARG_VALUE for a MAC that is not multicast, or on a socket bound to every
   * interface without `interface`.
   * @example socket.addMembership('01:00:5e:00:00:fb') // mDNS over IPv4
   */
  addMembership(mac: string | Uint8Array, interfaceName?: string | number): void {
    this.#membership(true, mac, interfaceName);
  }

  /**
   * Drops a membership addMembership() (or the `multicast` option) took; one added twice needs
   * two drops (the kernel counts them per socket).
   * @throws EADDRNOTAVAIL when this socket does not hold it (the kernel itself would say nothing).
   */
  dropMembership(mac: string | Uint8Array, interfaceName?: string | number): void {
    this.#membership(false, mac, interfaceName);
  }

  /**
   * Receives every multicast frame, or stops (PACKET_MR_ALLMULTI, per socket; the device's
   * allmulti count, never its IFF_ALLMULTI flag). Setting the current state again does nothing.
   */
  setAllMulticast(on: boolean): void {
    checkBoolean('on', on);
    if (this.closed) throw socketClosed();
    if (this.interfaceIndex === 0) {
      throw invalidArgValue('on', 'needs a socket bound to an interface (membership is per interface)', on);
    }
    if (on === this.#allMulticast) return;
    changeMembership(this.fd, on, this.interfaceIndex, 'all-multicast');
    this.#allMulticast = on;
  }

  /** True while this socket holds an all-multicast membership. */
  get allMulticast(): boolean {
    return this.#allMulticast;
  }

  #membership(add: boolean, mac: unknown, interfaceName: unknown): void {
    const bytes = checkMulticastMac('mac', mac);
    if (this.closed) throw socketClosed();
    const index = interfaceName === undefined ? this.interfaceIndex : resolveInterface(interfaceName).index;
    if (index === 0) {
      throw invalidArgValue('interface', 'is needed: this socket is bound to every interface', interfaceName);
    }
    const key = `${index}/${bytes.toString('hex')}`;
    const held = this.#memberships.get(key) ?? 0;
    if (!add && held === 0) {
      throw systemError(
        osConstants.errno.EADDRNOTAVAIL,
        'setsockopt',
        `this socket holds no membership for ${formatMac(bytes)} on interface ${index}`,
      );
    }
    changeMembership(this.fd, add, index, 'multicast', bytes);
    if (held + (add ? 1 : -1) === 0) this.#memberships.delete(key);
    else this.#memberships.set(key, held + (add ? 1 : -1));
  }

  // --- sending ---------------------------------------------------------------------------------

  /**
   * Sends one packet: a whole frame, link header included, on 'raw' sockets; the network-layer
   * payload on 'cooked' ones (the kernel builds the link header for `destination`/`protocol`).
   * Resolves with the bytes sent; waits for room when the socket buffer is full. Sends complete
   * in call order, and the send() calls made in one turn of JS leave together, in one
   * sendmmsg(2) per 1,024 packets. Bad arguments and a closed socket throw; the kernel's refusal
   * (ENETDOWN, EMSGSIZE, …) rejects.
   *
   * This bypasses the kernel's routing, neighbour tables and firewall: the frame leaves on the
   * interface you name exactly as given, and the stack's own sockets on this host do not see it
   * as local traffic.
   * @example await socket.send(buildEthernetFrame({ destination, source: socket.hardwareAddress, etherType: 0x0800, payload: ipPacket }))
   */
  send(data: Uint8Array | string, options: PacketSendOptions = {}): Promise<number> {
    this.checkOpen();
    return this.batcher.send(toBytes(data), this.#sendAddress(options), null);
  }

  /**
   * Sends several packets with sendmmsg(2), each with send()'s options of its own, in order with
   * send(). Resolves with how many were sent (all of them) once the kernel took the last. A bad
   * packet or option throws before anything is sent; a kernel error rejects with `index`: the
   * packet that failed (those before it were sent, the rest were not).
   * @example await socket.sendBatch(frames.map((data) => ({ data })));
   */
  sendBatch(packets: readonly PacketDatagram[]): Promise<number> {
    this.checkOpen();
    if (!Array.isArray(packets)) throw invalidArgType('packets', 'an array', packets);
    const count = packets.length;
    const datas: Uint8Array[] = new Array(count);
    const addresses: (Buffer | null)[] = new Array(count);
    let previous: PacketDatagram | undefined;
    for (let i = 0; i < count; i++) {
      const p = packets[i];
      if (p === null || typeof p !== 'object') throw invalidArgType(`packets[${i}]`, 'of type object', p);
      datas[i] = toBytes(p.data);
      // Repeats of one destination share its encoding.
      const same =
        previous !== undefined &&
        p.interface === previous.interface &&
        p.protocol === previous.protocol &&
        p.destination === previous.destination;
      addresses[i] = same ? (addresses[i - 1] as Buffer | null) : this.#sendAddress(p);
      previous = p;
    }
    return this.batcher.sendMany(datas, addresses, null, null);
  }

  /** Sends now if there is room: true when sent, false when the buffer is full (nothing sent). */
  trySend(data: Uint8Array | string, options: PacketSendOptions = {}): boolean {
    this.checkOpen();
    return this.trySendBytes(toBytes(data), this.#sendAddress(options));
  }

  #sendAddress(options: PacketSendOptions): Buffer | null {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    // Repeated sends with the same destination skip parsing and encoding it. Only text addresses
    // and interface indexes are remembered: bytes may change in place, and a name may come to
    // mean another interface.
    const last = this.#lastSend;
    if (
      last !== null &&
      options.destination === last.destination &&
      options.protocol === last.protocol &&
      options.interface === last.interface
    ) {
      return last.address;
    }
    const address = this.#encodeSendAddress(options);
    if (typeof options.interface !== 'string' && typeof options.destination !== 'object') {
      this.#lastSend = {
        interface: options.interface,
        protocol: options.protocol,
        destination: options.destination,
        address,
      };
    }
    return address;
  }

  #encodeSendAddress(options: PacketSendOptions): Buffer | null {
    const interfaceIndex =
      options.interface === undefined ? this.interfaceIndex : resolveInterface(options.interface).index;
    if (interfaceIndex === 0) {
      throw invalidArgValue(
        'options.interface',
        'is needed: this socket is bound to every interface, so say which one to send on',
        options.interface,
      );
    }
    const protocol =
      options.protocol === undefined ? this.protocol : resolveProtocol(options.protocol, 'options.protocol');
    if (this.mode === 'raw') {
      if (options.interface === undefined && options.protocol === undefined) return null; // the bound device
      return encodeLinkLayer({ protocol, interfaceIndex });
    }
    if (options.protocol === undefined && this.protocol === constants.ETH_P_ALL) {
      throw invalidArgValue('options.protocol', "is needed on a cooked socket bound to 'all'", options.protocol);
    }
    if (options.destination === undefined) {
      throw invalidArgValue(
        'options.destination',
        'is needed on a cooked socket (the link-layer destination)',
        undefined,
      );
    }
    const destination =
      typeof options.destination === 'string'
        ? parseHardwareAddress(options.destination, 'options.destination')
        : options.destination;
    return encodeLinkLayer({ protocol, interfaceIndex, address: destination });
  }

  // --- introspection ---------------------------------------------------------------------------

  /**
   * Counters over the socket's life: `received` (passed the filter), `dropped` (ring or buffer
   * full), `ringFull`, `delivered` (handed to JS), `discarded` (removed by a filter replacement).
   * Once everything is read: received = delivered + dropped + discarded.
   * @example const { received, dropped } = socket.stats();
   */
  stats(): PacketSocketStats {
    if (!this.closed) this.#stats.collect(this.#native.fd);
    return this.#stats.snapshot();
  }

  /**
   * What PcapWriter needs to store this socket's packets: `new PcapWriter(stream, socket.pcapOptions())`.
   * @example const writer = new PcapWriter(fs.createWriteStream('out.pcap'), socket.pcapOptions());
   */
  pcapOptions(): {
    /** The pcap link type of this socket's packets (its `linkType`). */
    linkType: CaptureLinkType;
    /** Its snap length. */
    snaplen: number;
  } {
    return { linkType: this.linkType, snaplen: this.snapLength };
  }

  /** Blocks with offsets the kernel should never produce, skipped so far (0 unless something is badly wrong). */
  get malformedBlocks(): number {
    return native.packet.info(this.#native)?.malformedBlocks ?? 0;
  }

  override close(): void {
    if (this.closed) return;
    try {
      this.#stats.collect(this.#native.fd);
    } catch {
      // the totals so far stay
    }
    super.close();
  }

  protected override onClose(): void {
    // The ring is unmapped by the native close itself (its reader goes with the descriptor).
    this.#batches.end();
  }
}
