// Seeing the UDP datagrams sent to a port, whether or not another program has bound it: a
// packet socket with a kernel filter for that port (what busybox's udhcpc does), decoded into
// datagrams. The kernel filter runs before anything is queued, so nothing else ever reaches JS.
import { readFileSync } from 'node:fs';
import { and, type Filter, host, interfaceIndex, not, outgoing, port } from '../bpf/builders.js';
import { batchItems } from '../core/batch-items.js';
import { deprecate } from '../core/deprecate.js';
import { ListenerAwareEmitter } from '../core/listener-hooks.js';
import { type IterateOptions, Receiver } from '../core/receiver.js';
import { checkInteger, checkOneOf, checkOptions, checkPort, checkString, optionalBoolean } from '../core/validate.js';
import { socketClosed } from '../errors.js';
import { constants, native } from '../native.js';
import type { PacketBatch } from '../packet/batch.js';
import { resolveInterface } from '../packet/options.js';
import { PacketSocket } from '../packet/socket.js';
import type { PacketSocketStats } from '../packet/stats.js';
import { DEFAULT_SNAPLEN } from '../pcap/format.js';
import { type HeldPort, holdUdpPort } from './hold-port.js';
import { SniffedBatch, type SniffedDatagram } from './sniffed-batch.js';

export type { SniffedDatagram, SniffedDatagramFields, UdpEndpoint } from './sniffed-batch.js';

const datagramCount = (batch: SniffedBatch): number => batch.length;
const BATCH_DATAGRAMS = { count: datagramCount, item: (batch: SniffedBatch, j: number) => batch.datagram(j) };

/**
 * Options of UdpSniffer.create().
 * @example UdpSniffer.create({ port: 5353, address: '224.0.0.251', family: 4, interface: 'eth0', holdPort: true, snapLength: 1500 })
 */
export interface UdpSnifferOptions {
  /** Destination UDP port to watch. */
  port: number;
  /** Only datagrams to this destination address (default: any). */
  address?: string;
  /** Interface name or index (default: all interfaces). */
  interface?: string | number;
  /** 4 or 6 for one IP version only (default: both). */
  family?: 4 | 6;
  /**
   * Bind a placeholder UDP socket on the port when nobody else has, so the kernel does not answer
   * every datagram with ICMP port unreachable (see holdUdpPort). Default false.
   */
  holdPort?: boolean;
  /** Bytes of each packet to capture (default 65535): longer payloads are reported truncated. */
  snapLength?: number;
}

/** Indexes of the loopback interfaces; they show each packet twice (outgoing, then host). */
function loopbackIndexes(): number[] {
  const found: number[] = [];
  for (const name of readInterfaceNames()) {
    try {
      const type = Number(readFileSync(`/sys/class/net/${name}/type`, 'utf8'));
      if (type === constants.ARPHRD_LOOPBACK) found.push(native.ifNameToIndex(name));
    } catch {
      // An interface that vanished meanwhile is no loopback to worry about.
    }
  }
  return found;
}

function readInterfaceNames(): string[] {
  try {
    return readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]?.trim() ?? '')
      .filter(Boolean);
  } catch {
    return ['lo'];
  }
}

const OPTION_NAMES = ['port', 'address', 'interface', 'family', 'holdPort', 'snapLength'];

function checkSnifferOptions(options: unknown): UdpSnifferOptions {
  const o = checkOptions('options', options, OPTION_NAMES, 'UdpSniffer.create()');
  checkPort(o.port, 'options.port');
  if (o.family !== undefined) checkOneOf('options.family', o.family, [4, 6]);
  if (o.address !== undefined) checkString('options.address', o.address);
  optionalBoolean('options.holdPort', o.holdPort);
  if (o.snapLength !== undefined) checkInteger('options.snapLength', o.snapLength, 1, 0x7fffffff);
  return o as unknown as UdpSnifferOptions;
}

/**
 * The kernel filter: UDP to the port (first IPv4 fragments and IPv6 without extension headers,
 * as libpcap matches ports), to the address if given, and each loopback packet once.
 */
function sniffFilter(o: UdpSnifferOptions, boundToLoopback: boolean, loopbacks: number[]): Filter {
  const parts: Filter[] = [
    port(o.port, { protocol: 'udp', direction: 'dst', ...(o.family ? { family: o.family } : {}) }),
  ];
  if (o.address !== undefined) parts.push(host(o.address, 'dst'));
  // On a socket bound to one loopback interface PACKET_IGNORE_OUTGOING does this in the kernel;
  // on all interfaces only loopback's outgoing copies go (other interfaces' outgoing datagrams
  // are the only copy this host sees of them).
  if (!boundToLoopback) for (const index of loopbacks) parts.push(not(and(outgoing(), interfaceIndex(index))));
  return and(...parts);
}

/**
 * Receives the UDP datagrams addressed to a port through a packet socket, alongside whatever
 * program has bound that port (or none: see `holdPort`). Needs CAP_NET_RAW.
 *
 * @example
 * const sniffer = UdpSniffer.create({ port: 67, interface: 'eth0' });
 * for await (const datagram of sniffer) console.log(datagram.source, datagram.payload);
 */
export class UdpSniffer extends ListenerAwareEmitter {
  readonly #socket: PacketSocket;
  readonly #held: HeldPort | null;
  readonly #receiver: Receiver<SniffedBatch>;
  #resume: (() => void) | null = null;
  #pumping = false;
  #malformed = 0;
  #closed = false;

  /** The watched port. */
  readonly port: number;

  private constructor(socket: PacketSocket, port: number, held: HeldPort | null) {
    super();
    this.#socket = socket;
    this.port = port;
    this.#held = held;
    this.#receiver = new Receiver<SniffedBatch>(() => {
      const resume = this.#resume;
      this.#resume = null;
      resume?.();
    });
    socket.on('error', (error) => this.emit('error', error));
  }

  // Reading starts with the first 'datagram' listener or loop; until then the kernel queues.
  protected override listenerAdded(event: string | symbol): void {
    if (event === 'datagram') queueMicrotask(() => this.#pump());
  }

  /**
   * Opens the packet socket (filter attached before it is bound: nothing else is ever queued).
   * @example const sniffer = UdpSniffer.create({ port: 53, family: 6 });
   */
  static create(options: UdpSnifferOptions): UdpSniffer {
    const o = checkSnifferOptions(options);
    const loopbacks = loopbackIndexes();
    const index = resolveInterface(o.interface).index;
    const boundToLoopback = index !== 0 && loopbacks.includes(index);
    const filter = sniffFilter(o, boundToLoopback, loopbacks).toProgram({
      framing: 'cooked',
      snaplen: DEFAULT_SNAPLEN,
    });
    const socket = PacketSocket.create({
      mode: 'cooked',
      protocol: o.family === 4 ? 'ip' : o.family === 6 ? 'ipv6' : 'all',
      ...(o.interface !== undefined ? { interface: o.interface } : {}),
      filter,
      ignoreOutgoing: boundToLoopback,
      snapLength: o.snapLength ?? 65535,
    });
    let held: HeldPort | null = null;
    if (o.holdPort) {
      try {
        held = holdUdpPort(o.port, {
          family: 6,
          ...(o.address ? { address: o.address, family: o.address.includes(':') ? 6 : 4 } : {}),
        });
      } catch (error) {
        // Someone already has the port: the kernel is not sending ICMP errors, nothing to hold.
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
          socket.close();
          throw error;
        }
      }
    }
    return new UdpSniffer(socket, o.port, held);
  }

  /**
   * The old name of {@link UdpSniffer.create}, kept for one minor version.
   * @deprecated Use UdpSniffer.create() (RAWSOCK_DEP0001, docs/sockets.md).
   */
  static open(options: UdpSnifferOptions): UdpSniffer {
    deprecate('RAWSOCK_DEP0001', 'PacketSocket.open() and UdpSniffer.open() are deprecated: use create()');
    return UdpSniffer.create(options);
  }

  /** True when this sniffer holds the port with a placeholder socket (holdPort and nobody else had it). */
  get holdingPort(): boolean {
    return this.#held !== null;
  }

  /** The packet socket underneath (for pcap output, statistics, or changing its filter). */
  get packetSocket(): PacketSocket {
    return this.#socket;
  }

  /** Kernel counters of the packet socket, and packets that passed the filter but did not decode. */
  stats(): PacketSocketStats & {
    /** Packets that passed the filter but were not a well-formed UDP datagram. */
    malformed: number;
  } {
    return { ...this.#socket.stats(), malformed: this.#malformed };
  }

  /**
   * Pulls batches from the packet socket and hands out datagrams. Backpressure end to end: when a
   * loop is full this waits, the socket's own batch queue fills, and the socket stops reading, so
   * the kernel queues and then counts drops (stats().dropped) instead of memory growing.
   */
  async #pump(): Promise<void> {
    if (this.#pumping || this.#closed) return;
    this.#pumping = true;
    try {
      for await (const batch of this.#socket.batches()) {
        if (!this.#deliver(batch)) {
          await new Promise<void>((resolve) => {
            this.#resume = resolve;
          });
        }
        if (this.#closed) break;
      }
    } catch (error) {
      if (!this.#closed) this.#receiver.fail(error);
    }
  }

  #deliver(batch: PacketBatch): boolean {
    const sniffed = new SniffedBatch(batch);
    this.#malformed += sniffed.malformed;
    if (sniffed.length === 0) return true;
    if (this.listenerCount('datagram') > 0) {
      for (let j = 0; j < sniffed.length && !this.#closed; j++) this.emit('datagram', sniffed.datagram(j));
    }
    // Loops take the batch whole (one promise per batch, lib/core/batch-items.ts).
    return this.#receiver.push(sniffed);
  }

  /**
   * The datagrams, in arrival order, with `for await`. The loop ends when the sniffer closes;
   * an AbortSignal ends it with an AbortError. Several loops may run at once: each sees all.
   */
  datagrams(options: IterateOptions = {}): AsyncIterableIterator<SniffedDatagram> {
    if (this.#closed) throw socketClosed('UdpSniffer');
    const batches = this.#receiver.iterate(options, () => {}, 4096, datagramCount);
    this.#pump();
    return batchItems(batches, BATCH_DATAGRAMS, options.signal);
  }

  /** `for await (const datagram of sniffer)`: the same as datagrams() with the default options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SniffedDatagram> {
    return this.datagrams();
  }

  /** Keeps the event loop alive while the sniffer is open (the default; the placeholder port never does). */
  ref(): this {
    this.#socket.ref();
    return this;
  }

  /** Lets the process exit even though the sniffer is open (like dgram's unref()). */
  unref(): this {
    this.#socket.unref();
    return this;
  }

  /** Closes the packet socket and the placeholder; loops end; 'close' follows on the next tick. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    this.#held?.close();
    this.#receiver.end();
    this.#resume?.();
    process.nextTick(() => this.emit('close'));
  }
}
