// Raw IP sockets of protocol 136 (raw(7)): they send hand-made UDP-Lite datagrams, checksum and
// all, and receive a copy of every UDP-Lite datagram the IP layer delivers, before UDP-Lite checks
// it. So the tests can see the header the kernel put on the wire, and send datagrams the kernel's
// own UDP-Lite would never produce (damaged inside or outside their coverage).
import { readFileSync } from 'node:fs';
import { messageCount, messageEntry } from '../../lib/core/batch-layout.js';
import { encodeInet } from '../../lib/core/sockaddr.js';
import { constants, type NativeSocketHandle, native } from '../../lib/native.js';

export const LOOPBACK = { 4: '127.0.0.1', 6: '::1' } as const;

export class RawUdpLite {
  readonly #family: 4 | 6;
  readonly #handle: NativeSocketHandle;
  readonly #segments: Buffer[] = [];
  #waiter: (() => void) | null = null;

  constructor(family: 4 | 6) {
    this.#family = family;
    const domain = family === 6 ? constants.AF_INET6 : constants.AF_INET;
    this.#handle = new native.SocketHandle(domain, constants.SOCK_RAW, constants.IPPROTO_UDPLITE);
    this.#handle.onMessages = (data, meta) => {
      for (let i = 0; i < messageCount(meta); i++) {
        const { dataOffset, captured } = messageEntry(meta, i);
        let segment = Buffer.from(data.subarray(dataOffset, dataOffset + captured));
        // raw(7): an IPv4 raw socket receives the IP header too, an IPv6 one only the payload.
        if (family === 4) segment = segment.subarray((segment[0] & 0x0f) * 4);
        this.#segments.push(segment);
      }
      this.#waiter?.();
      return true;
    };
  }

  /** Starts capturing: every UDP-Lite datagram delivered in this namespace from now on. */
  capture(): this {
    this.#handle.startReceiving({ slots: 16, slotSize: 65536 });
    return this;
  }

  /** The next captured UDP-Lite segment (header + payload) whose destination port is `port`. */
  async next(port: number, timeoutMs = 2000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#segments.findIndex((s) => s.readUInt16BE(2) === port);
      if (index >= 0) return this.#segments.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no UDP-Lite datagram to port ${port} captured in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
  }

  /** Forgets what was captured so far. */
  clear(): void {
    this.#segments.length = 0;
  }

  /** Sends a ready-made UDP-Lite segment to the loopback address (the kernel adds the IP header). */
  send(segment: Uint8Array): void {
    // raw(7): the port of the address must be 0 (or, for IPv6, the socket's protocol).
    const sent = this.#handle.send(segment, encodeInet(this.#family, LOOPBACK[this.#family], 0));
    if (sent !== segment.length) throw new Error(`raw send took ${sent} of ${segment.length} bytes`);
  }

  close(): void {
    this.#handle.close();
  }
}

/**
 * A UDP-Lite MIB counter of this network namespace: /proc/net/snmp "UdpLite: … InCsumErrors …"
 * for IPv4, /proc/net/snmp6 "UdpLite6InCsumErrors N" for IPv6.
 */
export function udpLiteCounter(family: 4 | 6, name: string): number {
  if (family === 6) {
    const line = readFileSync('/proc/net/snmp6', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`UdpLite6${name} `) || l.startsWith(`UdpLite6${name}\t`));
    if (!line) throw new Error(`no UdpLite6${name} in /proc/net/snmp6`);
    return Number(line.trim().split(/\s+/)[1]);
  }
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('UdpLite:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  const index = names.indexOf(name);
  if (index < 0) throw new Error(`no UdpLite ${name} in /proc/net/snmp`);
  return Number(values[index]);
}
