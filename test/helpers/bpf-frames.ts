// Frames for the BPF tests: Ethernet (optionally 802.1Q-tagged) carrying IPv4/IPv6 with UDP,
// UDP-Lite or TCP, and a model of what the kernel shows a packet socket on `lo` for each frame.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Instruction, PacketContext } from '../../lib/bpf/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const MAC = {
  /** lo's own address: PACKET_HOST on receive. */
  host: '00:00:00:00:00:00',
  /** Any other unicast address: PACKET_OTHERHOST (the IP stack drops it). */
  other: '02:00:00:00:00:02',
  /** Multicast bit set: PACKET_MULTICAST (on lo even ff:ff:ff:ff:ff:ff, as lo's broadcast is 00:…). */
  multicast: '33:33:00:00:00:01',
  source: '02:00:00:00:00:01',
} as const;

function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => Number.parseInt(h, 16));
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

export function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

export function ipv6Bytes(text: string): number[] {
  const [l = '', r] = text.split('::');
  const left = l === '' ? [] : l.split(':');
  const right = r === undefined || r === '' ? [] : r.split(':');
  const words = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return words.flatMap((w) => u16(Number.parseInt(w, 16)));
}

export interface EthernetSpec {
  dst?: string;
  src?: string;
  type: number;
  /** 802.1Q/802.1ad tags, outermost first. */
  vlans?: { tci: number; tpid?: number }[];
}

export function ethernet(spec: EthernetSpec, payload: number[] | Uint8Array): Buffer {
  const tags = (spec.vlans ?? []).flatMap((v) => [...u16(v.tpid ?? 0x8100), ...u16(v.tci)]);
  return Buffer.from([
    ...macBytes(spec.dst ?? MAC.other),
    ...macBytes(spec.src ?? MAC.source),
    ...tags,
    ...u16(spec.type),
    ...payload,
  ]);
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  protocol: number;
  /** Fragment offset in 8-byte units. */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** Bytes of IP options (a multiple of 4). */
  options?: number;
}

export function ipv4(spec: Ipv4Spec, payload: number[]): number[] {
  const options = spec.options ?? 0;
  const ihl = 5 + options / 4;
  const total = ihl * 4 + payload.length;
  const flags = (spec.moreFragments ? 0x2000 : 0) | (spec.fragmentOffset ?? 0);
  const header = [
    0x40 | ihl,
    0,
    ...u16(total),
    0x12,
    0x34,
    ...u16(flags),
    64,
    spec.protocol,
    0,
    0,
    ...ipv4Bytes(spec.src),
    ...ipv4Bytes(spec.dst),
    ...new Array<number>(options).fill(1), // NOP options
  ];
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] as number) << 8) | (header[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const checksum = ~sum & 0xffff;
  header[10] = checksum >> 8;
  header[11] = checksum & 0xff;
  return [...header, ...payload];
}

export interface Ipv6Spec {
  src: string;
  dst: string;
  nextHeader: number;
}

export function ipv6(spec: Ipv6Spec, payload: number[]): number[] {
  return [
    0x60,
    0,
    0,
    0,
    ...u16(payload.length),
    spec.nextHeader,
    64,
    ...ipv6Bytes(spec.src),
    ...ipv6Bytes(spec.dst),
    ...payload,
  ];
}

/** An IPv6 fragment extension header followed by `payload`. */
export function ipv6Fragment(nextHeader: number, offset: number, payload: number[]): number[] {
  return [nextHeader, 0, ...u16(offset << 3), 0, 0, 0, 1, ...payload];
}

/** A UDP (or UDP-Lite: same layout) header and payload; checksum 0. */
export function udp(sport: number, dport: number, payload: number[] = [1, 2, 3, 4]): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
}

export function tcp(sport: number, dport: number, flags = 0x02): number[] {
  return [...u16(sport), ...u16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
}

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;

/** What one packet socket copy looks like to a filter: its bytes and the sk_buff's ancillary data. */
export interface View {
  data: Buffer;
  context: PacketContext;
}

/**
 * How the kernel shows a frame sent with a packet socket on `lo` to other packet sockets there:
 * the outgoing copy (PACKET_OUTGOING, bytes as sent, protocol parsed from the EtherType) and the
 * looped-back copy (eth_type_trans: pkt_type from the destination MAC against lo's all-zero
 * address and broadcast; an outer VLAN tag is taken out of the frame by skb_vlan_untag()).
 */
export function loopbackViews(frame: Buffer): View[] {
  const base: PacketContext = { ifIndex: 1, hatype: 772, networkOffset: 14, linkOffset: 0 };
  const etherType = frame.readUInt16BE(12);
  // packet_snd() on SOCK_RAW takes skb->protocol from the frame's EtherType as it is.
  const outgoing: View = { data: frame, context: { ...base, pktType: 4, protocol: etherType } };
  const dst = frame.subarray(0, 6);
  const pktType = (dst[0] as number) & 1 ? 2 : dst.every((b) => b === 0) ? 0 : 3;
  // eth_type_trans(): values below 0x600 are lengths; 0xffff next means raw 802.3, else 802.2.
  const encapsulated = (type: number, next: number): number =>
    type >= 0x600 ? type : next === 0xffff ? 0x0001 : 0x0004;
  const word = (at: number): number => (frame.length >= at + 2 ? frame.readUInt16BE(at) : 0);
  let data = frame;
  const context: PacketContext = { ...base, pktType, protocol: encapsulated(etherType, word(14)) };
  if (etherType === 0x8100 || etherType === 0x88a8) {
    // skb_vlan_untag() drops a tagged frame without room for its tag and 2 bytes after it.
    if (frame.length < 20) return [outgoing];
    data = Buffer.concat([frame.subarray(0, 12), frame.subarray(16)]);
    context.vlanTag = frame.readUInt16BE(14);
    context.vlanTpid = etherType;
    context.protocol = encapsulated(frame.readUInt16BE(16), word(18));
  }
  return [outgoing, { data, context }];
}

/** What one packet socket received for one frame: [pkttype, length, how]. */
export type Receipt = [number, number, 'sent' | 'untagged' | 'other'];

/**
 * Attaches each program to its own packet socket on `lo` in a fresh user + network namespace
 * and sends each frame once; returns, per frame, how many copies an unfiltered socket saw and,
 * per program, what that program's socket received.
 */
export function runInKernel(
  programs: Instruction[][],
  frames: Buffer[],
  copies: number[] = frames.map(() => 2),
): { receipts: Receipt[][][]; copies: number[] } {
  const result = spawnSync(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--net',
      'sh',
      '-c',
      `ip link set lo up && exec python3 ${JSON.stringify(path.join(here, 'packet-filter-peer.py'))}`,
    ],
    {
      input: JSON.stringify({
        programs: programs.map((p) => p.map((i) => [i.code, i.jt, i.jf, i.k])),
        frames: frames.map((f) => f.toString('hex')),
        copies,
      }),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  if (result.status !== 0) throw new Error(`packet-filter-peer.py failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as { receipts: Receipt[][][]; copies: number[] };
}

/** Asks the kernel (SO_ATTACH_FILTER on a UDP socket) whether it accepts each program. */
export function kernelAccepts(programs: readonly (readonly Instruction[])[]): string[] {
  const result = spawnSync('python3', [path.join(here, 'attach-filter.py')], {
    input: JSON.stringify(programs.map((p) => p.map((i) => [i.code, i.jt, i.jf, i.k]))),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`attach-filter.py failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}
