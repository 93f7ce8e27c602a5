// The UDP datagrams of one packet batch, found by reading a few header bytes per packet, and
// SniffedDatagram objects whose fields are read from the batch only when asked for.
//
// Why not decodePacket per packet: the sniffer's filter already passed only UDP to the port, so
// what is left is to find the UDP header and check the lengths; the general decoder also builds
// every layer's object, verifies the checksum and formats the addresses, ten times the cost of
// the receive itself. Packets the quick path does not cover (IPv4 options, fragments, IPv6
// extension headers) still go through decodePacket, with the same outcome.
import { inspect } from 'node:util';
import { formatIPv4, formatIPv6 } from '../decode/address.js';
import { decodePacket } from '../decode/packet.js';
import type { PacketBatch } from '../packet/batch.js';

/** An IP address and UDP port. */
export interface UdpEndpoint {
  /** IP address as text ('192.0.2.1', 'fe80::1'). */
  address: string;
  /** UDP port. */
  port: number;
}

/** A sniffed datagram's fields as a plain object (SniffedDatagram.toObject()). */
export interface SniffedDatagramFields {
  /** Where the datagram came from. */
  source: UdpEndpoint;
  /** Where it was sent (the watched port). */
  destination: UdpEndpoint;
  /** The UDP payload (its own memory: valid for as long as it is referenced). */
  payload: Buffer;
  /** True when the snap length cut the payload short (or it is the first fragment of several). */
  truncated: boolean;
  /** When the kernel received (or sent) the packet, in nanoseconds since the Unix epoch. */
  timestamp: bigint;
  /** The interface it was seen on. */
  interface: string;
  /** 'IPv4' or 'IPv6', as node:dgram spells it. */
  family: 'IPv4' | 'IPv6';
}

const IPPROTO_UDP = 17;
// Per datagram in SniffedBatch.#layout: packet index, UDP header offset and payload end (both
// in the batch's buffer), flags.
const STRIDE = 4;
const FLAG_IPV6 = 1;
const FLAG_TRUNCATED = 2;

/** The well-formed UDP datagrams of a cooked packet batch (packets start at the IP header). */
export class SniffedBatch {
  readonly batch: PacketBatch;
  /** How many datagrams; `malformed` packets of the batch are not among them. */
  readonly length: number;
  readonly malformed: number;
  readonly #layout: Int32Array;

  constructor(batch: PacketBatch) {
    this.batch = batch;
    const layout = new Int32Array(batch.length * STRIDE);
    const bytes = batch.buffer;
    let found = 0;
    for (let i = 0; i < batch.length; i++) {
      const at = found * STRIDE;
      if (locateUdp(batch, bytes, i, layout, at) || locateUdpSlowly(batch, i, layout, at)) {
        layout[at] = i;
        found++;
      }
    }
    this.length = found;
    this.malformed = batch.length - found;
    this.#layout = layout;
  }

  /** Datagram j (0 ≤ j < length) as an object. */
  datagram(j: number): SniffedDatagram {
    const at = j * STRIDE;
    const layout = this.#layout;
    return new SniffedDatagram(
      this.batch,
      layout[at] as number,
      layout[at + 1] as number,
      layout[at + 2] as number,
      layout[at + 3] as number,
    );
  }
}

/**
 * The common case, from the bytes: IPv4 without options and not a fragment, or IPv6 whose next
 * header is UDP. Writes the UDP offset, payload end and flags; false when it is not that case.
 * The length rules are decodePacket's: a UDP length below 8 or beyond what the IP header
 * declares is malformed; beyond what was captured, truncated.
 */
function locateUdp(batch: PacketBatch, b: Buffer, i: number, layout: Int32Array, at: number): boolean {
  const start = batch.offset(i);
  const end = start + batch.capturedLength(i);
  const version = (b[start] as number) >> 4;
  let udp: number;
  let declared: number;
  let flags = 0;
  let ipEnd: number;
  if (version === 4) {
    if (end - start < 28 || b[start] !== 0x45 || b[start + 9] !== IPPROTO_UDP) return false;
    if (((((b[start + 6] as number) << 8) | (b[start + 7] as number)) & 0x3fff) !== 0) return false;
    const total = ((b[start + 2] as number) << 8) | (b[start + 3] as number);
    if (total < 20) return false;
    udp = start + 20;
    declared = total - 20;
    ipEnd = Math.min(start + total, end);
  } else if (version === 6) {
    if (end - start < 48 || b[start + 6] !== IPPROTO_UDP) return false;
    declared = ((b[start + 4] as number) << 8) | (b[start + 5] as number);
    udp = start + 40;
    ipEnd = Math.min(udp + declared, end);
    flags = FLAG_IPV6;
  } else {
    return false;
  }
  if (ipEnd - udp < 8) return false;
  const length = ((b[udp + 4] as number) << 8) | (b[udp + 5] as number);
  if (length < 8 || length > declared) return false;
  if (length > ipEnd - udp || batch.truncated(i)) flags |= FLAG_TRUNCATED;
  layout[at + 1] = udp;
  layout[at + 2] = Math.min(udp + length, ipEnd);
  layout[at + 3] = flags;
  return true;
}

/** Everything else, through the general decoder (IPv4 options, first fragments, IPv6 extension headers). */
function locateUdpSlowly(batch: PacketBatch, i: number, layout: Int32Array, at: number): boolean {
  const data = batch.data(i);
  const decoded = decodePacket(data, { linkType: 'cooked', protocol: batch.protocol(i) });
  const network = decoded.network;
  const transport = decoded.transport;
  if (!network || !transport || transport.layer !== 'udp' || (network.layer !== 'ipv4' && network.layer !== 'ipv6')) {
    return false;
  }
  const payload = transport.payload;
  const payloadStart = payload.byteOffset - batch.buffer.byteOffset;
  layout[at + 1] = payloadStart - 8;
  layout[at + 2] = payloadStart + payload.length;
  layout[at + 3] =
    (network.layer === 'ipv6' ? FLAG_IPV6 : 0) | (transport.truncated || batch.truncated(i) ? FLAG_TRUNCATED : 0);
  return true;
}

/**
 * A UDP datagram seen by the sniffer. Its fields are read from the captured packet when first
 * asked for (so a loop that reads only the payload pays for no address text); `payload` is a
 * view of the batch's own memory, valid for as long as it is referenced.
 */
export class SniffedDatagram implements SniffedDatagramFields {
  readonly #batch: PacketBatch;
  readonly #index: number;
  readonly #udp: number;
  readonly #end: number;
  readonly #flags: number;
  #source: UdpEndpoint | undefined;
  #destination: UdpEndpoint | undefined;
  #payload: Buffer | undefined;

  /** @internal */
  constructor(batch: PacketBatch, index: number, udp: number, end: number, flags: number) {
    this.#batch = batch;
    this.#index = index;
    this.#udp = udp;
    this.#end = end;
    this.#flags = flags;
  }

  /** Where the datagram came from. */
  get source(): UdpEndpoint {
    this.#source ??= this.#endpoint(12, 8, 0);
    return this.#source;
  }
  /** Where it was sent (the watched port). */
  get destination(): UdpEndpoint {
    this.#destination ??= this.#endpoint(16, 24, 2);
    return this.#destination;
  }
  /** The UDP payload (its own memory: valid for as long as it is referenced). */
  get payload(): Buffer {
    this.#payload ??= this.#batch.bytes(this.#udp + 8, this.#end - this.#udp - 8);
    return this.#payload;
  }
  /** True when the snap length cut the payload short (or it is the first fragment of several). */
  get truncated(): boolean {
    return (this.#flags & FLAG_TRUNCATED) !== 0;
  }
  /** When the kernel received (or sent) the packet, in nanoseconds since the Unix epoch. */
  get timestamp(): bigint {
    return this.#batch.timestampNs(this.#index);
  }
  /** The interface it was seen on. */
  get interface(): string {
    return this.#batch.interfaceName(this.#index);
  }
  /** 'IPv4' or 'IPv6', as node:dgram spells it. */
  get family(): 'IPv4' | 'IPv6' {
    return this.#flags & FLAG_IPV6 ? 'IPv6' : 'IPv4';
  }

  /** The fields as a plain object (a spread or structuredClone() sees none: they are getters). */
  toObject(): SniffedDatagramFields {
    return {
      source: this.source,
      destination: this.destination,
      payload: this.payload,
      truncated: this.truncated,
      timestamp: this.timestamp,
      interface: this.interface,
      family: this.family,
    };
  }

  /** console.log() shows the fields. */
  [inspect.custom](depth: number, options: object): string {
    return `SniffedDatagram ${inspect(this.toObject(), { ...options, depth })}`;
  }

  /** The address at `v4`/`v6` in the IP header, and the port at `port` in the UDP header. */
  #endpoint(v4: number, v6: number, port: number): UdpEndpoint {
    const b = this.#batch.buffer;
    const ip = this.#batch.offset(this.#index);
    const address = this.#flags & FLAG_IPV6 ? formatIPv6(b, ip + v6) : formatIPv4(b, ip + v4);
    return { address, port: ((b[this.#udp + port] as number) << 8) | (b[this.#udp + port + 1] as number) };
  }
}
