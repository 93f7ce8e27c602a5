// Filter builders: the filters people usually write with tcpdump expressions, as composable
// values that generate classic BPF for the framing of the socket they are attached to.
import { checkInteger } from '../core/validate.js';
import { ETHERTYPES } from '../decode/ethertypes.js';
import { DEFAULT_SNAPLEN } from '../pcap/format.js';
import {
  alu,
  type Instruction,
  instruction,
  JUMP_OPS,
  type JumpOp,
  loadAbsolute,
  loadAncillary,
  loadIndirect,
  loadIPv4HeaderLength,
  returnConstant,
} from './instruction.js';
import {
  BPF_JA,
  BPF_JMP,
  BPF_K,
  PACKET_OUTGOING,
  SKF_AD_IFINDEX,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
} from './opcodes.js';

/**
 * How packets look at offset 0 when the filter runs:
 * - `'ethernet'`: a SOCK_RAW packet socket on an Ethernet interface: a 14-byte Ethernet header,
 *   then the network header. The EtherType is read from bytes 12-13.
 * - `'cooked'`: a SOCK_DGRAM packet socket (packet(7): "the link-level header is removed"): offset
 *   0 is the network header; the EtherType is read from the kernel's skb->protocol
 *   (SKF_AD_PROTOCOL).
 * - `'loopback'`: a SOCK_RAW packet socket on Linux `lo`. Although its hardware type is
 *   ARPHRD_LOOPBACK (772), Linux loopback frames carry an Ethernet header with all-zero MAC
 *   addresses, so the code is the Ethernet code. Every packet is seen twice on `lo`: once as
 *   PACKET_OUTGOING and once as received (combine with `not(outgoing())` to see each once).
 */
export type LinkFraming = 'ethernet' | 'cooked' | 'loopback';

/** Which address or port of a packet a builder looks at. */
export type Direction = 'src' | 'dst' | 'either';

/** Transport protocols whose ports the port builders understand. */
export type PortProtocol = 'tcp' | 'udp' | 'udplite';

/** IP protocol numbers (IANA) for the names the builders accept. */
export const IP_PROTOCOLS = {
  /** Internet Control Message Protocol (RFC 792). */
  icmp: 1,
  /** Internet Group Management Protocol (RFC 3376). */
  igmp: 2,
  /** Transmission Control Protocol. */
  tcp: 6,
  /** User Datagram Protocol. */
  udp: 17,
  /** Generic Routing Encapsulation (RFC 2784). */
  gre: 47,
  /** IPsec Encapsulating Security Payload. */
  esp: 50,
  /** IPsec Authentication Header. */
  ah: 51,
  /** ICMP for IPv6 (RFC 4443). */
  icmp6: 58,
  /** Stream Control Transmission Protocol. */
  sctp: 132,
  /** UDP-Lite (RFC 3828). */
  udplite: 136,
} as const;
/** A protocol name ipProtocol() accepts: a key of {@link IP_PROTOCOLS}. */
export type IpProtocolName = keyof typeof IP_PROTOCOLS;

// The EtherTypes the builders use: rawsock's one table (lib/decode/ethertypes.ts).
export { ETHERTYPES };

/** Where things are for the code being generated. */
interface Context {
  framing: LinkFraming;
  /** Offset of the network header. */
  net: number;
  /** Offset of the EtherType field, or 'ancillary' to use skb->protocol. */
  etherType: number | 'ancillary';
  /** Whether a kernel-held (stripped) VLAN tag has already been matched on this path. */
  ancillaryVlanUsed: boolean;
}

type Node =
  | { t: 'test'; pre: Instruction[]; op: JumpOp; k: number }
  | { t: 'and' | 'or'; parts: Node[] }
  | { t: 'not'; part: Node }
  | { t: 'const'; value: boolean };

const TRUE: Node = { t: 'const', value: true };
const FALSE: Node = { t: 'const', value: false };

/**
 * A packet filter condition. Build one with the functions of this module, combine with and(),
 * or(), not(), and turn it into a program with toProgram(filter, { framing }).
 * @example
 * const dns = bpf.and(bpf.udp(), bpf.port(53));
 * socket.setFilter(dns.toProgram({ framing: 'ethernet' }));
 */
export class Filter {
  /** @internal */
  readonly generate: (ctx: Context) => Node;
  /** @internal */
  constructor(generate: (ctx: Context) => Node) {
    this.generate = generate;
  }
  /**
   * The classic BPF program for this filter (same as toProgram(this, options)).
   * @example bpf.tcpPort(443).toProgram({ framing: 'cooked', snaplen: 128 })
   */
  toProgram(options?: ProgramOptions): Instruction[] {
    return toProgram(this, options);
  }
}

function test(pre: Instruction[], op: JumpOp, k: number): Node {
  return { t: 'test', pre, op, k: k >>> 0 };
}

function conj(t: 'and' | 'or', parts: Node[]): Node {
  const absorbing = t === 'or';
  const flat: Node[] = [];
  for (const p of parts) {
    if (p.t === 'const') {
      if (p.value === absorbing) return p;
      continue;
    }
    if (p.t === t) flat.push(...p.parts);
    else flat.push(p);
  }
  if (flat.length === 0) return t === 'and' ? TRUE : FALSE;
  if (flat.length === 1) return flat[0] as Node;
  return { t, parts: flat };
}

function negate(node: Node): Node {
  if (node.t === 'const') return node.value ? FALSE : TRUE;
  if (node.t === 'not') return node.part;
  return { t: 'not', part: node };
}

function checkUint(name: string, value: number, max: number): void {
  checkInteger(name, value, 0, max);
}

function etherTypeNode(ctx: Context, type: number): Node {
  if (ctx.etherType === 'ancillary') return test([loadAncillary(SKF_AD_PROTOCOL)], 'jeq', type);
  return test([loadAbsolute(ctx.etherType, 2)], 'jeq', type);
}

/**
 * Packets all pass (an empty and()).
 * @example bpf.toProgram(bpf.all()) // [ret #262144]
 */
export function all(): Filter {
  return new Filter(() => TRUE);
}

/**
 * No packet passes (an empty or()).
 * @example bpf.toProgram(bpf.none()) // [ret #0]: what DROP_ALL does
 */
export function none(): Filter {
  return new Filter(() => FALSE);
}

/**
 * Packets every given filter accepts (evaluated left to right, stopping at the first refusal).
 * @example bpf.and(bpf.ipv4(), bpf.udp(), bpf.port(67, { direction: 'dst' }))
 */
export function and(...filters: Filter[]): Filter {
  return new Filter((ctx) =>
    conj(
      'and',
      filters.map((f) => f.generate(ctx)),
    ),
  );
}

/**
 * Packets any given filter accepts (evaluated left to right, stopping at the first match).
 * @example bpf.or(bpf.arp(), bpf.host('192.0.2.1'))
 */
export function or(...filters: Filter[]): Filter {
  return new Filter((ctx) =>
    conj(
      'or',
      filters.map((f) => f.generate(ctx)),
    ),
  );
}

/**
 * Packets the given filter refuses.
 * @example bpf.not(bpf.outgoing())
 */
export function not(filter: Filter): Filter {
  return new Filter((ctx) => negate(filter.generate(ctx)));
}

/**
 * Frames whose EtherType is `type` (tcpdump `ether proto TYPE`). With `'cooked'` framing this is
 * skb->protocol, which the kernel sets from the EtherType (for 802.3 frames it is ETH_P_802_3 or
 * ETH_P_802_2 instead).
 * @example bpf.etherType(0x88cc) // LLDP
 */
export function etherType(type: number): Filter {
  checkUint('type', type, 0xffff);
  return new Filter((ctx) => etherTypeNode(ctx, type));
}

/**
 * IPv4 packets (tcpdump `ip`).
 * @example bpf.and(bpf.ipv4(), bpf.tcp()) // TCP over IPv4 only
 */
export function ipv4(): Filter {
  return etherType(ETHERTYPES.ipv4);
}

/**
 * IPv6 packets (tcpdump `ip6`).
 * @example bpf.and(bpf.ipv6(), bpf.not(bpf.tcp()))
 */
export function ipv6(): Filter {
  return etherType(ETHERTYPES.ipv6);
}

/**
 * ARP packets (tcpdump `arp`).
 * @example bpf.or(bpf.arp(), bpf.ipv4())
 */
export function arp(): Filter {
  return etherType(ETHERTYPES.arp);
}

function protocolNumber(protocol: number | IpProtocolName): number {
  const value = typeof protocol === 'number' ? protocol : IP_PROTOCOLS[protocol];
  if (value === undefined) {
    throw Object.assign(new TypeError(`Unknown IP protocol name: ${String(protocol)}`), {
      code: 'ERR_INVALID_ARG_VALUE',
    });
  }
  checkUint('protocol', value, 255);
  return value;
}

function v4Protocol(ctx: Context, proto: number): Node {
  return conj('and', [etherTypeNode(ctx, ETHERTYPES.ipv4), test([loadAbsolute(ctx.net + 9, 1)], 'jeq', proto)]);
}

/** IPv6 next header is `proto` directly, or a fragment header (44) whose next header is `proto`. */
function v6Protocol(ctx: Context, proto: number, throughFragment: boolean): Node {
  const direct = test([loadAbsolute(ctx.net + 6, 1)], 'jeq', proto);
  const fragmented = conj('and', [
    test([loadAbsolute(ctx.net + 6, 1)], 'jeq', 44),
    test([loadAbsolute(ctx.net + 40, 1)], 'jeq', proto),
  ]);
  return conj('and', [
    etherTypeNode(ctx, ETHERTYPES.ipv6),
    throughFragment ? conj('or', [direct, fragmented]) : direct,
  ]);
}

/**
 * Options of ipProtocol().
 * @example bpf.ipProtocol('tcp', { family: 4 }) // tcpdump 'ip proto 6'
 */
export interface IpProtocolOptions {
  /** Match IPv4 (4), IPv6 (6) or both (default). */
  family?: 4 | 6;
}

/**
 * IP packets carrying `protocol` (tcpdump `ip proto P`, `ip6 proto P`, or both). IPv4: the
 * header's protocol field. IPv6: the fixed header's next header, or — as libpcap does — a
 * fragment header directly followed by `protocol`; other extension headers are not walked.
 * @example bpf.ipProtocol('icmp6', { family: 6 })
 */
export function ipProtocol(protocol: number | IpProtocolName, options: IpProtocolOptions = {}): Filter {
  const proto = protocolNumber(protocol);
  return new Filter((ctx) => {
    const parts: Node[] = [];
    if (options.family !== 6) parts.push(v4Protocol(ctx, proto));
    if (options.family !== 4) parts.push(v6Protocol(ctx, proto, true));
    return conj('or', parts);
  });
}

/**
 * TCP packets over IPv4 or IPv6 (tcpdump `tcp`).
 * @example bpf.toProgram(bpf.tcp()) // tcpdump 'tcp'
 */
export function tcp(): Filter {
  return ipProtocol('tcp');
}

/**
 * UDP packets over IPv4 or IPv6 (tcpdump `udp`).
 * @example bpf.toProgram(bpf.udp()) // tcpdump 'udp'
 */
export function udp(): Filter {
  return ipProtocol('udp');
}

/**
 * UDP-Lite packets (IP protocol 136) over IPv4 or IPv6.
 * @example bpf.and(bpf.udplite(), bpf.host('::1'))
 */
export function udplite(): Filter {
  return ipProtocol('udplite');
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function parseIPv6(text: string): number[] | undefined {
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    // An embedded IPv4 address in the last 32 bits (`::ffff:192.0.2.1`).
    const v4 = lastColon >= 0 ? parseIPv4(text.slice(lastColon + 1)) : undefined;
    if (!v4) return undefined;
    tailV4 = [((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number)];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    return groups.map((g) => Number.parseInt(g, 16));
  };
  const left = group(halves[0] as string);
  const right = halves.length === 2 ? group(halves[1] as string) : [];
  if (!left || !right) return undefined;
  const total = left.length + right.length + tailV4.length;
  let words: number[];
  if (halves.length === 2) {
    if (total > 7) return undefined;
    words = [...left, ...new Array<number>(8 - total).fill(0), ...right, ...tailV4];
  } else {
    if (total !== 8) return undefined;
    words = [...left, ...tailV4];
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

/** An IPv4 or IPv6 address as bytes, with its family. */
function parseAddress(text: string): { family: 4 | 6; bytes: number[] } {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: 6, bytes: v6 };
  throw Object.assign(new TypeError(`Not an IPv4 or IPv6 address: "${text}"`), { code: 'ERR_INVALID_ARG_VALUE' });
}

const word = (bytes: number[], i: number): number =>
  (((bytes[i] as number) << 24) |
    ((bytes[i + 1] as number) << 16) |
    ((bytes[i + 2] as number) << 8) |
    (bytes[i + 3] as number)) >>>
  0;

/** Compares the address at `offset` with `bytes` under a prefix length, one 32-bit word at a time. */
function addressNode(offset: number, bytes: number[], prefix: number): Node {
  const parts: Node[] = [];
  for (let i = 0; i * 32 < prefix; i++) {
    const bits = Math.min(32, prefix - i * 32);
    const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    const value = (word(bytes, i * 4) & mask) >>> 0;
    const pre = [loadAbsolute(offset + i * 4, 4)];
    if (mask !== 0xffffffff) pre.push(alu('and', mask));
    parts.push(test(pre, 'jeq', value));
  }
  return conj('and', parts);
}

function directions(direction: Direction): ('src' | 'dst')[] {
  if (direction === 'src' || direction === 'dst') return [direction];
  if (direction === 'either') return ['src', 'dst'];
  throw Object.assign(new TypeError(`direction must be 'src', 'dst' or 'either', got ${String(direction)}`), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
}

function networkFilter(family: 4 | 6, bytes: number[], prefix: number, direction: Direction): Filter {
  const dirs = directions(direction);
  return new Filter((ctx) => {
    const [type, src, dst] = family === 4 ? [ETHERTYPES.ipv4, 12, 16] : [ETHERTYPES.ipv6, 8, 24];
    const checks = dirs.map((d) => addressNode(ctx.net + (d === 'src' ? src : dst), bytes, prefix));
    return conj('and', [etherTypeNode(ctx, type), conj('or', checks)]);
  });
}

/**
 * IP packets from, to, or either (default) to or from `address` (IPv4 or IPv6). Like tcpdump's
 * `ip host` / `ip6 host`; unlike tcpdump's plain `host`, ARP and RARP packets are not matched.
 * @example bpf.host('10.0.0.1', 'src') // tcpdump 'ip src host 10.0.0.1'
 */
export function host(address: string, direction: Direction = 'either'): Filter {
  const { family, bytes } = parseAddress(address);
  return networkFilter(family, bytes, family === 4 ? 32 : 128, direction);
}

/**
 * IP packets whose source, destination, or either (default) address is in the network `cidr`
 * ("10.0.0.0/8", "fe80::/10"; a bare address is a /32 or /128). Bits of the address beyond the
 * prefix are ignored. Like tcpdump's `ip net` / `ip6 net` (no ARP).
 * @example bpf.not(bpf.net('10.0.0.0/8', 'src'))
 */
export function net(cidr: string, direction: Direction = 'either'): Filter {
  const [address, prefixText] = cidr.split('/');
  const { family, bytes } = parseAddress(address ?? '');
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefixText !== undefined && !/^\d+$/.test(prefixText)) {
    throw Object.assign(new TypeError(`Bad prefix length in "${cidr}"`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  checkUint('prefix length', prefix, max);
  return networkFilter(family, bytes, prefix, direction);
}

/**
 * Options of port().
 * @example bpf.port(53, { protocol: ['udp', 'tcp'], direction: 'src', family: 6 })
 */
export interface PortOptions {
  /** Transport protocols to match (default TCP and UDP, like tcpdump's `port`). */
  protocol?: PortProtocol | PortProtocol[];
  /** Source, destination or either port (default either). */
  direction?: Direction;
  /** IPv4 (4), IPv6 (6) or both (default). */
  family?: 4 | 6;
}

function portTest(pre: Instruction[], ports: [number, number]): Node {
  const [low, high] = ports;
  if (low === high) return test(pre, 'jeq', low);
  return conj('and', [test(pre, 'jge', low), negate(test(pre, 'jgt', high))]);
}

/**
 * TCP, UDP or UDP-Lite packets with this source, destination or either port; `port` may be a
 * range [low, high] (tcpdump `portrange`).
 *
 * IPv4: only the first fragment carries the transport header, so as libpcap does, packets whose
 * fragment offset is non-zero (`ip[6:2] & 0x1fff != 0`) never match; the port is read after the
 * variable-length IPv4 header (`ldxb 4*([14]&0xf)`).
 * IPv6: as libpcap does, ports are matched only when the fixed header's next header is the
 * transport protocol itself; packets with extension headers (including fragments) do not match.
 * @example bpf.port([8000, 8080], { protocol: 'tcp', direction: 'dst' }) // tcp dst portrange 8000-8080
 */
export function port(port: number | [number, number], options: PortOptions = {}): Filter {
  const range: [number, number] = typeof port === 'number' ? [port, port] : port;
  checkUint('port', range[0], 0xffff);
  checkUint('port', range[1], 0xffff);
  if (range[0] > range[1])
    throw Object.assign(new RangeError(`Empty port range ${range[0]}-${range[1]}`), { code: 'ERR_OUT_OF_RANGE' });
  const protocols = options.protocol === undefined ? (['tcp', 'udp'] as PortProtocol[]) : [options.protocol].flat();
  const dirs = directions(options.direction ?? 'either');
  return new Filter((ctx) => {
    const byFamily: Node[] = [];
    if (options.family !== 6) {
      const protoMatch = conj(
        'or',
        protocols.map((p) => test([loadAbsolute(ctx.net + 9, 1)], 'jeq', IP_PROTOCOLS[p])),
      );
      const firstFragment = negate(test([loadAbsolute(ctx.net + 6, 2)], 'jset', 0x1fff));
      const ports = dirs.map((d) =>
        portTest([loadIPv4HeaderLength(ctx.net), loadIndirect(ctx.net + (d === 'src' ? 0 : 2), 2)], range),
      );
      byFamily.push(conj('and', [etherTypeNode(ctx, ETHERTYPES.ipv4), protoMatch, firstFragment, conj('or', ports)]));
    }
    if (options.family !== 4) {
      const protoMatch = conj(
        'or',
        protocols.map((p) => test([loadAbsolute(ctx.net + 6, 1)], 'jeq', IP_PROTOCOLS[p])),
      );
      const ports = dirs.map((d) => portTest([loadAbsolute(ctx.net + 40 + (d === 'src' ? 0 : 2), 2)], range));
      byFamily.push(conj('and', [etherTypeNode(ctx, ETHERTYPES.ipv6), protoMatch, conj('or', ports)]));
    }
    return conj('or', byFamily);
  });
}

/**
 * TCP packets with this port (see port()).
 * @example bpf.tcpPort(22, 'dst')
 */
export function tcpPort(value: number | [number, number], direction: Direction = 'either'): Filter {
  return port(value, { protocol: 'tcp', direction });
}

/**
 * UDP packets with this port (see port()).
 * @example bpf.udpPort(67, 'dst') // tcpdump 'udp dst port 67'
 */
export function udpPort(value: number | [number, number], direction: Direction = 'either'): Filter {
  return port(value, { protocol: 'udp', direction });
}

/**
 * UDP-Lite packets with this port (see port()); UDP-Lite has UDP's port layout.
 * @example bpf.udplitePort(5000)
 */
export function udplitePort(value: number | [number, number], direction: Direction = 'either'): Filter {
  return port(value, { protocol: 'udplite', direction });
}

/**
 * 802.1Q / 802.1ad tagged frames, optionally only VLAN `id`, optionally with `inner` matching what
 * follows the tag.
 *
 * Linux usually removes the outermost tag before packet sockets see the frame (hardware offload,
 * or skb_vlan_untag() on receive) and keeps it in the sk_buff: that case is matched through
 * SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG, and `inner` then applies at the usual offsets. A tag
 * still in the frame (TPID 0x8100 or 0x88a8 at the EtherType position, as on the outgoing copy of
 * a tagged frame) is matched too, and `inner` then applies 4 bytes further on. Nested vlan()
 * calls match QinQ stacks. With `'cooked'` framing only the kernel-held tag is seen.
 * @example bpf.vlan(100, bpf.udpPort(53)) // DNS in VLAN 100
 */
export function vlan(id?: number, inner?: Filter): Filter {
  if (id !== undefined) checkUint('id', id, 0xfff);
  return new Filter((ctx) => {
    const branches: Node[] = [];
    if (!ctx.ancillaryVlanUsed) {
      const idMatch = id === undefined ? TRUE : test([loadAncillary(SKF_AD_VLAN_TAG), alu('and', 0xfff)], 'jeq', id);
      const innerCtx = { ...ctx, ancillaryVlanUsed: true };
      branches.push(
        conj('and', [
          test([loadAncillary(SKF_AD_VLAN_TAG_PRESENT)], 'jeq', 1),
          idMatch,
          inner ? inner.generate(innerCtx) : TRUE,
        ]),
      );
    }
    if (ctx.etherType !== 'ancillary') {
      const tpid = ctx.etherType;
      const tagged = conj('or', [etherTypeNode(ctx, ETHERTYPES.vlan), etherTypeNode(ctx, ETHERTYPES.qinq)]);
      const idMatch = id === undefined ? TRUE : test([loadAbsolute(tpid + 2, 2), alu('and', 0xfff)], 'jeq', id);
      const innerCtx: Context = { ...ctx, net: ctx.net + 4, etherType: tpid + 4, ancillaryVlanUsed: true };
      const inBand = conj('and', [tagged, idMatch, inner ? inner.generate(innerCtx) : TRUE]);
      // A frame whose outer tag the kernel holds is matched by the branch above only.
      branches.push(
        ctx.ancillaryVlanUsed
          ? inBand
          : conj('and', [negate(test([loadAncillary(SKF_AD_VLAN_TAG_PRESENT)], 'jeq', 1)), inBand]),
      );
    }
    return conj('or', branches);
  });
}

/**
 * Packets of this packet type (SKF_AD_PKTTYPE, skb->pkt_type): PACKET_HOST 0, BROADCAST 1,
 * MULTICAST 2, OTHERHOST 3, OUTGOING 4 (see opcodes.ts).
 * @example bpf.packetType(bpf.opcodes.PACKET_BROADCAST)
 */
export function packetType(type: number): Filter {
  checkUint('type', type, 7);
  return new Filter(() => test([loadAncillary(SKF_AD_PKTTYPE)], 'jeq', type));
}

/**
 * Packets this host sends (PACKET_OUTGOING), as packet sockets see them. `not(outgoing())` is
 * what libpcap does on `lo` to see each packet once, and what PACKET_IGNORE_OUTGOING does in the
 * kernel.
 * @example bpf.toProgram(bpf.and(bpf.udpPort(67), bpf.not(bpf.outgoing())), { framing: 'loopback' })
 */
export function outgoing(): Filter {
  return packetType(PACKET_OUTGOING);
}

/**
 * Packets seen on the interface with this index (SKF_AD_IFINDEX, skb->dev->ifindex). Useful on a
 * socket bound to all interfaces, e.g. `not(and(outgoing(), interfaceIndex(loopbackIndex)))` to
 * see each loopback packet once while keeping outgoing packets of other interfaces.
 * @example bpf.not(bpf.and(bpf.outgoing(), bpf.interfaceIndex(1))) // each lo packet once
 */
export function interfaceIndex(index: number): Filter {
  checkUint('index', index, 0x7fffffff);
  return new Filter(() => test([loadAncillary(SKF_AD_IFINDEX)], 'jeq', index));
}

/**
 * Options of toProgram().
 * @example bpf.toProgram(bpf.udp(), { framing: 'loopback', snaplen: 96 })
 */
export interface ProgramOptions {
  /** What offset 0 is (default 'ethernet'). */
  framing?: LinkFraming;
  /** Bytes to keep of each accepted packet, what `ret` returns (default 262144 as tcpdump). */
  snaplen?: number;
}

interface Item {
  insn: Instruction;
  jt?: number;
  jf?: number;
  ja?: number;
}

/**
 * Generates the classic BPF program for a filter: short-circuit code that ends in
 * `ret #snaplen` (accept) or `ret #0` (drop).
 * @throws RangeError when a conditional jump would need to skip more than 255 instructions.
 * @example bpf.toProgram(bpf.udpPort(53), { framing: 'cooked', snaplen: 1500 })
 */
export function toProgram(filter: Filter, options: ProgramOptions = {}): Instruction[] {
  const framing = options.framing ?? 'ethernet';
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  checkUint('snaplen', snaplen, 0xffffffff);
  let ctx: Context;
  if (framing === 'ethernet' || framing === 'loopback')
    ctx = { framing, net: 14, etherType: 12, ancillaryVlanUsed: false };
  else if (framing === 'cooked') ctx = { framing, net: 0, etherType: 'ancillary', ancillaryVlanUsed: false };
  else
    throw Object.assign(new TypeError(`framing must be 'ethernet', 'cooked' or 'loopback', got ${String(framing)}`), {
      code: 'ERR_INVALID_ARG_VALUE',
    });
  const root = filter.generate(ctx);
  if (root.t === 'const') return [returnConstant(root.value ? snaplen : 0)];

  const items: Item[] = [];
  const labels: number[] = [];
  const newLabel = (): number => labels.push(-1) - 1;
  const place = (label: number): void => {
    labels[label] = items.length;
  };
  const gen = (node: Node, t: number, f: number): void => {
    switch (node.t) {
      case 'const':
        items.push({ insn: instruction(BPF_JMP | BPF_JA), ja: node.value ? t : f });
        return;
      case 'not':
        gen(node.part, f, t);
        return;
      case 'and':
      case 'or':
        node.parts.forEach((part, i) => {
          if (i === node.parts.length - 1) {
            gen(part, t, f);
            return;
          }
          const next = newLabel();
          if (node.t === 'and') gen(part, next, f);
          else gen(part, t, next);
          place(next);
        });
        return;
      case 'test':
        for (const insn of node.pre) items.push({ insn });
        items.push({ insn: instruction(BPF_JMP | JUMP_OPS[node.op] | BPF_K, node.k), jt: t, jf: f });
    }
  };
  const accept = newLabel();
  const reject = newLabel();
  gen(root, accept, reject);
  place(accept);
  items.push({ insn: returnConstant(snaplen) });
  place(reject);
  items.push({ insn: returnConstant(0) });

  return items.map((item, i) => {
    const offset = (label: number | undefined): number => {
      if (label === undefined) return 0;
      const distance = (labels[label] as number) - i - 1;
      if (item.ja === undefined && distance > 255) {
        throw new RangeError(
          `The filter is too large: a conditional jump would skip ${distance} instructions (at most 255)`,
        );
      }
      return distance;
    };
    if (item.ja !== undefined) return { ...item.insn, k: offset(item.ja) };
    if (item.jt !== undefined) return { ...item.insn, jt: offset(item.jt), jf: offset(item.jf) };
    return item.insn;
  });
}
