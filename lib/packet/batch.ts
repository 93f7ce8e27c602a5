// What a packet socket hands JS: batches (one per ring block, or per recvmmsg call) that read
// their packets' fields straight from the native metadata without allocating per packet, and
// Packet objects for code that wants one object per packet.
//
// The metadata layout is src-native/batch_layout.h's, read through lib/core/batch-layout.ts.
// Imported rather than the global: in an ES module the global Buffer is a getter (node's
// bootstrap), looked up on every packet view.
import { Buffer } from 'node:buffer';
import { PACKET } from '../core/batch-layout.js';
import type { VlanTag } from '../decode/ethernet.js';
import { type DecodedPacket, decodePacket } from '../decode/packet.js';
import { constants } from '../native.js';
import type { PcapPacket } from '../pcap/writer.js';

// Module constants, read once from the addon's layout: the accessors below run per packet.
const {
  stride: STRIDE,
  dataOffset: DATA_OFFSET,
  captured: CAPTURED,
  length: LENGTH,
  seconds: SECONDS,
  nanoseconds: NANOSECONDS,
  interfaceIndex: INTERFACE_INDEX,
  typeAddressFlags: TYPE_ADDRESS_FLAGS,
  protocolHatype: PROTOCOL_HATYPE,
  vlan: VLAN,
  addressLow: ADDRESS_LOW,
  addressHigh: ADDRESS_HIGH,
  networkStatus: NETWORK_STATUS,
  flagVlan: FLAG_VLAN,
  flagStale: FLAG_STALE,
} = PACKET;

// packet(7) tp_status bits for the transport checksum (<linux/if_packet.h>, kernel ABI).
const TP_STATUS_CSUMNOTREADY = 0x8;
const TP_STATUS_CSUM_VALID = 0x80;

/** Where a packet was going (`sll_pkttype`, packet(7)). */
export type PacketType =
  | 'host'
  | 'broadcast'
  | 'multicast'
  | 'otherhost'
  | 'outgoing'
  | 'loopback'
  | 'user'
  | 'kernel'
  | 'unknown';

const PACKET_TYPES: readonly PacketType[] = [
  'host', // PACKET_HOST: addressed to this host
  'broadcast', // PACKET_BROADCAST
  'multicast', // PACKET_MULTICAST
  'otherhost', // PACKET_OTHERHOST: addressed to another host (seen in promiscuous mode)
  'outgoing', // PACKET_OUTGOING: sent by this host
  'loopback',
  'user',
  'kernel',
];

/** A VLAN tag the kernel removed from the frame (TP_STATUS_VLAN_VALID); same shape as a decoded tag. */
export type { VlanTag };

/** How pcap files of this socket's packets are written (lib/pcap PcapWriter `linkType`). */
export type CaptureLinkType = 'ethernet' | 'linux-sll' | 'raw';

/** What a batch needs from its socket. @internal */
export interface BatchContext {
  readonly mode: 'raw' | 'cooked';
  readonly linkType: CaptureLinkType;
  interfaceName(index: number): string;
}

const { ARPHRD_ETHER, ARPHRD_LOOPBACK } = constants;

function hex(byte: number): string {
  return byte < 16 ? `0${byte.toString(16)}` : byte.toString(16);
}

/**
 * The packets of one native batch. Accessors take the packet's index (0 ≤ i < length) and read
 * the metadata directly; nothing is allocated per packet unless asked for (data(i), packet(i)).
 *
 * The bytes are a private copy: `buffer` and every view from `data(i)` stay valid and unchanged
 * for as long as they are referenced, whatever the socket reads afterwards.
 * @example
 * socket.on('batch', (batch) => {
 *   for (let i = 0; i < batch.length; i++) if (batch.protocol(i) === 0x0800) count++;
 * });
 */
export class PacketBatch implements Iterable<Packet> {
  /** Number of packets. */
  readonly length: number;
  /** Every packet's captured bytes, back to back: packet i is `buffer.subarray(offset(i), offset(i) + capturedLength(i))`. */
  readonly buffer: Buffer;
  /**
   * True when the socket reuses this memory for its next batch (`ring.reuseBatchMemory`): the
   * batch is valid until the 'batch' listener returns; `copy()` keeps it.
   */
  readonly borrowed: boolean;
  readonly #meta: Uint32Array;
  readonly #context: BatchContext;
  // Packet views are made with Buffer.from(arrayBuffer, offset, length): a third cheaper than
  // buffer.subarray(), which goes through the species constructor (the deprecated Buffer()
  // function) and reads `buffer.buffer` (a C++ builtin) every time.
  readonly #arrayBuffer: ArrayBuffer;
  readonly #base: number;

  /** @internal */
  constructor(buffer: Buffer, meta: Uint32Array, context: BatchContext, borrowed = false) {
    this.buffer = buffer;
    this.#arrayBuffer = buffer.buffer as ArrayBuffer;
    this.#base = buffer.byteOffset;
    this.#meta = meta;
    this.#context = context;
    this.borrowed = borrowed;
    this.length = meta.length / STRIDE;
  }

  /**
   * A copy in memory of its own (bytes and metadata), valid for as long as it is referenced.
   * @example socket.on('batch', (batch) => kept.push(batch.copy()));
   */
  copy(): PacketBatch {
    return new PacketBatch(Buffer.from(this.buffer), this.#meta.slice(), this.#context);
  }

  /** Where packet i starts in `buffer`. */
  offset(i: number): number {
    return this.#meta[i * STRIDE + DATA_OFFSET] as number;
  }
  /** Bytes captured (at most the snap length). */
  capturedLength(i: number): number {
    return this.#meta[i * STRIDE + CAPTURED] as number;
  }
  /** Length of the packet as it was on the wire (before any snap-length cut). */
  originalLength(i: number): number {
    return this.#meta[i * STRIDE + LENGTH] as number;
  }
  /** True when fewer bytes were captured than the packet had. */
  truncated(i: number): boolean {
    return (this.#meta[i * STRIDE + CAPTURED] as number) < (this.#meta[i * STRIDE + LENGTH] as number);
  }
  /** A view of packet i's bytes (valid for as long as it is referenced). */
  data(i: number): Buffer {
    this.#check(i);
    return this.view(i);
  }
  /** @internal data(i) for an index known to be in range. */
  view(i: number): Buffer {
    return this.bytes(this.#meta[i * STRIDE + DATA_OFFSET] as number, this.#meta[i * STRIDE + CAPTURED] as number);
  }
  /** @internal A view of `length` bytes at `offset` in `buffer` (no bounds check beyond Buffer.from's). */
  bytes(offset: number, length: number): Buffer {
    return Buffer.from(this.#arrayBuffer, this.#base + offset, length);
  }
  /** Capture time, whole seconds since the Unix epoch. */
  timestampSeconds(i: number): number {
    return this.#meta[i * STRIDE + SECONDS] as number;
  }
  /** Capture time, nanoseconds within the second. */
  timestampNanoseconds(i: number): number {
    return this.#meta[i * STRIDE + NANOSECONDS] as number;
  }
  /** Capture time in nanoseconds since the Unix epoch. */
  timestampNs(i: number): bigint {
    return (
      BigInt(this.#meta[i * STRIDE + SECONDS] as number) * 1_000_000_000n +
      BigInt(this.#meta[i * STRIDE + NANOSECONDS] as number)
    );
  }
  /** Capture time in milliseconds since the Unix epoch (what Date takes; sub-µs precision is lost). */
  timestampMs(i: number): number {
    return (this.#meta[i * STRIDE + SECONDS] as number) * 1000 + (this.#meta[i * STRIDE + NANOSECONDS] as number) / 1e6;
  }
  /** Index of the interface the packet was seen on. */
  interfaceIndex(i: number): number {
    return this.#meta[i * STRIDE + INTERFACE_INDEX] as number;
  }
  /** Name of that interface (looked up once per index and cached by the socket). */
  interfaceName(i: number): string {
    return this.#context.interfaceName(this.#meta[i * STRIDE + INTERFACE_INDEX] as number);
  }
  /** `sll_pkttype` as a number (PACKET_HOST 0 … PACKET_OUTGOING 4). */
  packetTypeCode(i: number): number {
    return (this.#meta[i * STRIDE + TYPE_ADDRESS_FLAGS] as number) & 0xff;
  }
  /** Where the packet was going: 'host', 'broadcast', 'multicast', 'otherhost' or 'outgoing'. */
  packetType(i: number): PacketType {
    return PACKET_TYPES[(this.#meta[i * STRIDE + TYPE_ADDRESS_FLAGS] as number) & 0xff] ?? 'unknown';
  }
  /** EtherType (skb->protocol), host order: 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP. */
  protocol(i: number): number {
    return (this.#meta[i * STRIDE + PROTOCOL_HATYPE] as number) & 0xffff;
  }
  /** ARPHRD_* type of the interface: 1 Ethernet (and veth), 772 loopback, 65534 none (tun). */
  hardwareType(i: number): number {
    return (this.#meta[i * STRIDE + PROTOCOL_HATYPE] as number) >>> 16;
  }
  /** Length of the link-layer source address (6 on Ethernet, 0 when none). */
  sourceAddressLength(i: number): number {
    return ((this.#meta[i * STRIDE + TYPE_ADDRESS_FLAGS] as number) >>> 8) & 0xff;
  }
  /** The link-layer source address as 'aa:bb:cc:dd:ee:ff' ('' when the link has none). */
  sourceAddress(i: number): string {
    const length = this.sourceAddressLength(i);
    const low = this.#meta[i * STRIDE + ADDRESS_LOW] as number;
    const high = this.#meta[i * STRIDE + ADDRESS_HIGH] as number;
    let text = '';
    for (let b = 0; b < length; b++) {
      const byte = b < 4 ? (low >>> (8 * b)) & 0xff : (high >>> (8 * (b - 4))) & 0xff;
      text += b === 0 ? hex(byte) : `:${hex(byte)}`;
    }
    return text;
  }
  /** True when the kernel removed a VLAN tag from this frame (see vlan(i)). */
  hasVlan(i: number): boolean {
    return (((this.#meta[i * STRIDE + TYPE_ADDRESS_FLAGS] as number) >>> 16) & FLAG_VLAN) !== 0;
  }
  /** The VLAN tag the kernel removed, or undefined. */
  vlan(i: number): VlanTag | undefined {
    if (!this.hasVlan(i)) return undefined;
    const word = this.#meta[i * STRIDE + VLAN] as number;
    const tci = word & 0xffff;
    return { id: tci & 0x0fff, priority: tci >>> 13, dropEligible: (tci & 0x1000) !== 0, tpid: word >>> 16 };
  }
  /** Where the network header starts within the packet's bytes (0 in 'cooked' mode). */
  networkOffset(i: number): number {
    return (this.#meta[i * STRIDE + NETWORK_STATUS] as number) & 0xffff;
  }
  /**
   * tp_status bits (packet(7), from the ring's frame header or PACKET_AUXDATA):
   * TP_STATUS_CSUMNOTREADY (8) when the transport checksum is left to offload (CHECKSUM_PARTIAL:
   * packets this host sends, and on veth and loopback what a local socket sent, received too),
   * TP_STATUS_CSUM_VALID (0x80) when the device or driver says it checked it, TP_STATUS_VLAN_VALID
   * (0x10) and TP_STATUS_VLAN_TPID_VALID (0x40) for a stripped VLAN tag, TP_STATUS_LOSING (4)
   * when the ring dropped packets before this one.
   */
  status(i: number): number {
    return (this.#meta[i * STRIDE + NETWORK_STATUS] as number) >>> 16;
  }
  /**
   * What the kernel says about packet i's transport checksum: 'not-computed' (TP_STATUS_CSUMNOTREADY:
   * the field holds only the pseudo-header sum), 'valid' (TP_STATUS_CSUM_VALID: the device or
   * driver vouches for it; veth vouches for frames from packet sockets without looking), or null
   * (nothing said: decode() checks the bytes).
   */
  checksumOffload(i: number): 'not-computed' | 'valid' | null {
    const status = this.status(i);
    if (status & TP_STATUS_CSUMNOTREADY) return 'not-computed';
    if (status & TP_STATUS_CSUM_VALID) return 'valid';
    return null;
  }
  /** @internal Captured under a filter that was replaced since (re-checked before delivery). */
  stale(i: number): boolean {
    return (((this.#meta[i * STRIDE + TYPE_ADDRESS_FLAGS] as number) >>> 16) & FLAG_STALE) !== 0;
  }

  /** Decodes packet i's layers (lib/decode decodePacket) according to the socket's mode. */
  decode(i: number): DecodedPacket {
    const data = this.data(i);
    const hatype = this.hardwareType(i);
    // A checksum left to offload is 'not-computed', never a false 'bad'; all others are checked
    // from the bytes (the kernel's CSUM_VALID is not taken on trust: see checksumOffload).
    const checksum = this.status(i) & TP_STATUS_CSUMNOTREADY ? { checksumNotComputed: true } : {};
    if (this.#context.mode === 'raw' && (hatype === ARPHRD_ETHER || hatype === ARPHRD_LOOPBACK)) {
      return decodePacket(data, { linkType: 'ethernet', ...checksum });
    }
    return decodePacket(data.subarray(this.networkOffset(i)), {
      linkType: 'cooked',
      protocol: this.protocol(i),
      ...checksum,
    });
  }

  /**
   * Packet i in the shape lib/pcap's PcapWriter takes, for a writer opened with the socket's
   * `pcapOptions()`: for 'linux-sll' files the link header is left out (the writer builds the
   * cooked pseudo header from the metadata).
   */
  pcapPacket(i: number): PcapPacket {
    let data = this.data(i);
    let originalLength = this.originalLength(i);
    if (this.#context.linkType !== 'ethernet' && this.#context.mode === 'raw') {
      const skip = Math.min(this.networkOffset(i), data.length);
      data = data.subarray(skip);
      originalLength = Math.max(0, originalLength - skip);
    }
    const address = this.sourceAddress(i);
    return {
      data,
      timestampNs: this.timestampNs(i),
      originalLength,
      packetType: this.packetTypeCode(i),
      hardwareType: this.hardwareType(i),
      ...(address === '' ? {} : { address }),
      protocol: this.protocol(i),
      interfaceIndex: this.interfaceIndex(i),
    };
  }

  /** Packet i as an object (see Packet). */
  packet(i: number): Packet {
    this.#check(i);
    return new Packet(this, i);
  }

  /** The packets of the batch, in the order the kernel stored them (`for (const p of batch)`). */
  *[Symbol.iterator](): Iterator<Packet> {
    for (let i = 0; i < this.length; i++) yield new Packet(this, i);
  }

  /** @internal A batch of the packets at `indices` only (same buffer). */
  select(indices: readonly number[]): PacketBatch {
    const meta = new Uint32Array(indices.length * STRIDE);
    indices.forEach((index, j) => {
      meta.set(this.#meta.subarray(index * STRIDE, (index + 1) * STRIDE), j * STRIDE);
    });
    return new PacketBatch(this.buffer, meta, this.#context, this.borrowed);
  }

  /** @internal Shortens packet i's captured length (a re-checked filter kept fewer bytes). */
  trim(i: number, captured: number): void {
    if (captured < (this.#meta[i * STRIDE + CAPTURED] as number)) this.#meta[i * STRIDE + CAPTURED] = captured;
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`packet index ${i} is outside this batch of ${this.length}`);
    }
  }
}

/**
 * One received packet. Fields are read from its batch on access; `data` is a view of the batch's
 * private copy, valid for as long as it is referenced (it keeps the batch's buffer alive: copy
 * it with Buffer.from() to keep a few packets of many batches).
 * @example
 * for await (const packet of socket) {
 *   const { network, transport } = packet.decode();
 *   console.log(packet.timestampNs, packet.packetType, network?.source, transport?.layer);
 * }
 */
export class Packet {
  readonly #batch: PacketBatch;
  readonly #index: number;
  #data: Buffer | undefined;

  /** @internal */
  constructor(batch: PacketBatch, index: number) {
    this.#batch = batch;
    this.#index = index;
  }

  /** The captured bytes: from the link header in 'raw' mode, from the network header in 'cooked' mode. */
  get data(): Buffer {
    this.#data ??= this.#batch.view(this.#index);
    return this.#data;
  }
  /** Bytes captured (`data.length`). */
  get capturedLength(): number {
    return this.#batch.capturedLength(this.#index);
  }
  /** Length on the wire; larger than capturedLength when the snap length cut the packet. */
  get originalLength(): number {
    return this.#batch.originalLength(this.#index);
  }
  /** True when the snap length cut the packet. */
  get truncated(): boolean {
    return this.#batch.truncated(this.#index);
  }
  /** Capture time in nanoseconds since the Unix epoch. */
  get timestampNs(): bigint {
    return this.#batch.timestampNs(this.#index);
  }
  /** Capture time in milliseconds since the Unix epoch. */
  get timestampMs(): number {
    return this.#batch.timestampMs(this.#index);
  }
  /** Index of the interface the packet was seen on (`sll_ifindex`). */
  get interfaceIndex(): number {
    return this.#batch.interfaceIndex(this.#index);
  }
  /** Name of that interface ('eth0'), looked up once per index and cached. */
  get interfaceName(): string {
    return this.#batch.interfaceName(this.#index);
  }
  /** 'host', 'broadcast', 'multicast', 'otherhost' or 'outgoing'. */
  get packetType(): PacketType {
    return this.#batch.packetType(this.#index);
  }
  /** `sll_pkttype` as a number (PACKET_HOST 0 … PACKET_OUTGOING 4). */
  get packetTypeCode(): number {
    return this.#batch.packetTypeCode(this.#index);
  }
  /** EtherType, host order. */
  get protocol(): number {
    return this.#batch.protocol(this.#index);
  }
  /** ARPHRD_* type of the interface. */
  get hardwareType(): number {
    return this.#batch.hardwareType(this.#index);
  }
  /** Link-layer source address, 'aa:bb:cc:dd:ee:ff' ('' when none). */
  get sourceAddress(): string {
    return this.#batch.sourceAddress(this.#index);
  }
  /** The VLAN tag the kernel removed from the frame, if any. */
  get vlan(): VlanTag | undefined {
    return this.#batch.vlan(this.#index);
  }
  /** Offset of the network header in `data`. */
  get networkOffset(): number {
    return this.#batch.networkOffset(this.#index);
  }
  /** tp_status bits (see PacketBatch.status). */
  get status(): number {
    return this.#batch.status(this.#index);
  }
  /** The kernel's word on the transport checksum: 'not-computed', 'valid' or null (see PacketBatch.checksumOffload). */
  get checksumOffload(): 'not-computed' | 'valid' | null {
    return this.#batch.checksumOffload(this.#index);
  }
  /**
   * Link, network and transport layers (lib/decode). The transport's `checksumStatus` is
   * 'not-computed' for a checksum the kernel left to offload, else 'valid' or 'bad' from the bytes.
   */
  decode(): DecodedPacket {
    return this.#batch.decode(this.#index);
  }
  /** The packet for PcapWriter.write() (see PacketBatch.pcapPacket). */
  toPcap(): PcapPacket {
    return this.#batch.pcapPacket(this.#index);
  }
}
