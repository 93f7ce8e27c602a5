/**
 * Writing classic pcap files that tcpdump, tshark and Wireshark read.
 */
import type { Writable } from 'node:stream';
import { littleEndian, nodeBuiltin } from '../core/node-builtin.js';
import { checkInteger } from '../core/validate.js';
import { parseMac } from '../decode/address.js';
import { SLL_HEADER_LENGTH, SLL2_HEADER_LENGTH } from '../decode/cooked.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../decode/ethernet.js';
import {
  DEFAULT_SNAPLEN,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  linkTypeNumber,
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  type PcapLinkType,
} from './format.js';

// libpcap's largest snap length (MAXIMUM_SNAPLEN), and the default here: lib/pcap/format.ts.
export { DEFAULT_SNAPLEN };

/**
 * Options of a {@link PcapWriter}.
 * @example await PcapWriter.open('out.pcap', { linkType: 'linux-sll', snaplen: 96, nanoseconds: false })
 */
export interface PcapWriterOptions {
  /** What each packet's data starts with (default `ethernet`). See {@link PcapLinkType}. */
  linkType?: PcapLinkType;
  /**
   * Most bytes stored per packet, link header (and the SLL pseudo header) included; longer
   * packets are cut and keep their original length (default 262144).
   */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d, the default) or microseconds (0xa1b2c3d4). */
  nanoseconds?: boolean;
  /** Byte order of the file (default: this machine's, as libpcap writes). Readers handle both. */
  byteOrder?: 'little' | 'big';
}

/**
 * One packet to store. For `linux-sll` / `linux-sll2` files, `data` starts at the network header
 * (what a SOCK_DGRAM packet socket receives) and the metadata fields fill the pseudo header, as
 * libpcap fills it from the packet socket's `sockaddr_ll`.
 */
export interface PcapPacket {
  /** The packet bytes; copied when written, so a reused receive buffer is safe to pass. */
  data: Uint8Array;
  /**
   * Capture time in nanoseconds since the Unix epoch. pcap stores the seconds as 32 bits; libpcap
   * 1.10 and older read them as signed, so times after 2038-01-19 show as errors in tcpdump.
   */
  timestampNs: bigint;
  /**
   * Length of the packet on the wire (before any snap length cut), not counting an SLL pseudo
   * header; default `data.length`.
   */
  originalLength?: number;
  /** SLL: packet type (`sll_pkttype`): 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing. Default 0. */
  packetType?: number;
  /** SLL: ARPHRD_* type of the interface (`sll_hatype`); default 1 (ARPHRD_ETHER). */
  hardwareType?: number;
  /** SLL: the link-layer source address (`sll_addr`), bytes or `aa:bb:…` text; default none. */
  address?: Uint8Array | string;
  /** SLL: protocol (`sll_protocol`) in host order; default from the IP version nibble of `data`. */
  protocol?: number;
  /** SLL2: interface index (`sll_ifindex`); default 0. */
  interfaceIndex?: number;
}

function checkUint(name: string, value: number, max: number): void {
  checkInteger(name, value, 0, max);
}

/**
 * Writes packets to a classic pcap file or stream.
 *
 * `write()` returns false like `Writable.write()` when the stream's buffer is full; then `await
 * writer.drain()` before writing more. `close()` ends the stream and resolves once everything is
 * flushed.
 * @example
 * const writer = await PcapWriter.open('capture.pcap', socket.pcapOptions());
 * for await (const packet of socket) {
 *   if (!writer.write(packet.toPcap())) await writer.drain();
 * }
 * await writer.close();
 */
export class PcapWriter {
  /** The link-type number written in the global header. */
  readonly linkType: number;
  /** The snap length written in the global header: most bytes stored per packet. */
  readonly snaplen: number;
  /** True when timestamps are written in nanoseconds (magic 0xa1b23c4d). */
  readonly nanoseconds: boolean;
  /** The byte order of the file. */
  readonly byteOrder: 'little' | 'big';
  /** Packets written so far. */
  packetsWritten = 0;
  /** Bytes handed to the stream so far, global header included. */
  bytesWritten = 0;

  readonly #stream: Writable;
  readonly #waitForClose: boolean;
  #error: Error | undefined;
  #closed = false;

  /**
   * Creates (or truncates) the file at `path` and writes the global header.
   * @example const writer = await PcapWriter.open('/tmp/dhcp.pcap', { linkType: 'ethernet' });
   */
  static async open(path: string, options: PcapWriterOptions = {}): Promise<PcapWriter> {
    const stream = nodeBuiltin('node:fs', 'PcapWriter.open()').createWriteStream(path);
    await once(stream, 'open');
    return new PcapWriter(stream, options, true);
  }

  /**
   * Writes the global header to `stream` at once. The writer does not own a stream passed here
   * beyond ending it in `close()`.
   * @example const writer = new PcapWriter(process.stdout, socket.pcapOptions()); // pipe into tcpdump -r -
   */
  constructor(stream: Writable, options: PcapWriterOptions = {}, waitForClose = false) {
    this.#stream = stream;
    this.#waitForClose = waitForClose;
    this.linkType = linkTypeNumber(options.linkType ?? 'ethernet');
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    checkUint('snaplen', this.snaplen, 0x7fffffff);
    if (this.snaplen === 0) throw new RangeError('snaplen must be at least 1');
    this.nanoseconds = options.nanoseconds ?? true;
    this.byteOrder = options.byteOrder ?? (littleEndian ? 'little' : 'big');
    stream.on('error', (error: Error) => {
      this.#error ??= error;
    });
    const header = Buffer.alloc(PCAP_GLOBAL_HEADER_LENGTH);
    this.#u32(header, this.nanoseconds ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, 0);
    this.#u16(header, PCAP_VERSION_MAJOR, 4);
    this.#u16(header, PCAP_VERSION_MINOR, 6);
    // thiszone and sigfigs stay 0, as every modern writer leaves them.
    this.#u32(header, this.snaplen, 16);
    this.#u32(header, this.linkType, 20);
    this.#send(header);
  }

  #u32(buffer: Buffer, value: number, offset: number): void {
    if (this.byteOrder === 'little') buffer.writeUInt32LE(value, offset);
    else buffer.writeUInt32BE(value, offset);
  }

  #u16(buffer: Buffer, value: number, offset: number): void {
    if (this.byteOrder === 'little') buffer.writeUInt16LE(value, offset);
    else buffer.writeUInt16BE(value, offset);
  }

  #send(chunk: Buffer): boolean {
    this.bytesWritten += chunk.length;
    return this.#stream.write(chunk);
  }

  /** The pseudo header for cooked link types, or undefined for the others. */
  #pseudoHeader(packet: PcapPacket): Buffer | undefined {
    if (this.linkType !== LINKTYPE_LINUX_SLL && this.linkType !== LINKTYPE_LINUX_SLL2) return undefined;
    const address =
      typeof packet.address === 'string' ? parseMac(packet.address) : (packet.address ?? new Uint8Array(0));
    checkUint('address length', address.length, 255);
    const packetType = packet.packetType ?? 0;
    const hardwareType = packet.hardwareType ?? 1;
    let protocol = packet.protocol;
    if (protocol === undefined) {
      const version = packet.data.length > 0 ? (packet.data[0] as number) >> 4 : 0;
      protocol = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
    }
    checkUint('hardwareType', hardwareType, 0xffff);
    checkUint('protocol', protocol, 0xffff);
    const shown = address.subarray(0, 8);
    // The SLL fields are big-endian whatever the file's byte order (they are packet bytes).
    if (this.linkType === LINKTYPE_LINUX_SLL) {
      checkUint('packetType', packetType, 0xffff);
      const header = Buffer.alloc(SLL_HEADER_LENGTH);
      header.writeUInt16BE(packetType, 0);
      header.writeUInt16BE(hardwareType, 2);
      header.writeUInt16BE(address.length, 4);
      header.set(shown, 6);
      header.writeUInt16BE(protocol, 14);
      return header;
    }
    checkUint('packetType', packetType, 0xff);
    const interfaceIndex = packet.interfaceIndex ?? 0;
    checkUint('interfaceIndex', interfaceIndex, 0xffffffff);
    const header = Buffer.alloc(SLL2_HEADER_LENGTH);
    header.writeUInt16BE(protocol, 0);
    header.writeUInt32BE(interfaceIndex, 4);
    header.writeUInt16BE(hardwareType, 8);
    header.writeUInt8(packetType, 10);
    header.writeUInt8(address.length, 11);
    header.set(shown, 12);
    return header;
  }

  /**
   * Appends one packet record. Returns false when the stream wants the writer to wait for
   * `drain()` before writing more (the record is still queued). Throws if the writer is closed or
   * the stream failed, and RangeError for timestamps or lengths pcap cannot store.
   * @example writer.write({ data: frame, timestampNs: BigInt(Date.now()) * 1_000_000n })
   */
  write(packet: PcapPacket): boolean {
    if (this.#error) throw this.#error;
    if (this.#closed) throw new Error('PcapWriter.write: the writer is closed');
    const { timestampNs } = packet;
    if (typeof timestampNs !== 'bigint' || timestampNs < 0n || timestampNs >= 0x1_0000_0000n * 1_000_000_000n) {
      throw new RangeError(`timestampNs must be a bigint in [0, 2^32 s), got ${String(timestampNs)}`);
    }
    const pseudo = this.#pseudoHeader(packet);
    const pseudoLength = pseudo?.length ?? 0;
    const originalLength = (packet.originalLength ?? packet.data.length) + pseudoLength;
    checkUint('originalLength', originalLength, 0xffffffff);
    const capturedLength = Math.min(pseudoLength + packet.data.length, this.snaplen);
    const record = Buffer.alloc(PCAP_RECORD_HEADER_LENGTH + capturedLength);
    const seconds = Number(timestampNs / 1_000_000_000n);
    const nanos = Number(timestampNs % 1_000_000_000n);
    this.#u32(record, seconds, 0);
    this.#u32(record, this.nanoseconds ? nanos : Math.floor(nanos / 1000), 4);
    this.#u32(record, capturedLength, 8);
    this.#u32(record, Math.max(originalLength, capturedLength), 12);
    let offset = PCAP_RECORD_HEADER_LENGTH;
    if (pseudo) {
      const part = pseudo.subarray(0, capturedLength);
      record.set(part, offset);
      offset += part.length;
    }
    record.set(packet.data.subarray(0, capturedLength - (offset - PCAP_RECORD_HEADER_LENGTH)), offset);
    this.packetsWritten++;
    return this.#send(record);
  }

  /** Resolves when the stream can take more data (at once if it can now); rejects if it fails. */
  async drain(): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#stream.writableNeedDrain) return;
    await once(this.#stream, 'drain');
  }

  /** Ends the stream and resolves once all records are flushed (and a file opened by `open()` is closed). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#error) throw this.#error;
    const done = once(this.#stream, this.#waitForClose ? 'close' : 'finish');
    this.#stream.end();
    await done;
    if (this.#error) throw this.#error;
  }
}

/**
 * Resolves at the stream's next `event`, rejects at its next 'error' (node:events once(), which
 * this module does not import so that rawsock/pcap also bundles for a browser).
 */
function once(stream: Writable, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = (): void => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      stream.off(event, onEvent);
      reject(error);
    };
    stream.once(event, onEvent).once('error', onError);
  });
}
