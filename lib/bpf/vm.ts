// A user-space classic BPF interpreter with the Linux kernel's run-time semantics (the cBPF to
// eBPF translation in net/core/filter.c), for testing filters without a socket.
import type { Instruction, Program } from './instruction.js';
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  SKF_AD_ALU_XOR_X,
  SKF_AD_CPU,
  SKF_AD_HATYPE,
  SKF_AD_IFINDEX,
  SKF_AD_MARK,
  SKF_AD_NLATTR,
  SKF_AD_NLATTR_NEST,
  SKF_AD_OFF,
  SKF_AD_PAY_OFFSET,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_QUEUE,
  SKF_AD_RANDOM,
  SKF_AD_RXHASH,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_VLAN_TPID,
  SKF_LL_OFF,
  SKF_NET_OFF,
} from './opcodes.js';
import { validate } from './validate.js';

/**
 * What the kernel knows about a packet besides its bytes: the values ancillary loads
 * (`ld #proto`, `ldb [type]`, ...) read from the sk_buff. Anything not given reads as 0.
 */
export interface PacketContext {
  /** skb->protocol, host order (SKF_AD_PROTOCOL): the EtherType, e.g. 0x0800. */
  protocol?: number;
  /** skb->pkt_type (SKF_AD_PKTTYPE): PACKET_HOST 0 … PACKET_OUTGOING 4. */
  pktType?: number;
  /** Interface index (SKF_AD_IFINDEX). */
  ifIndex?: number;
  /** skb->mark (SKF_AD_MARK). */
  mark?: number;
  /** skb->queue_mapping (SKF_AD_QUEUE). */
  queue?: number;
  /** ARPHRD_* type of the interface (SKF_AD_HATYPE): 1 for Ethernet, 772 for loopback. */
  hatype?: number;
  /** Flow hash (SKF_AD_RXHASH). */
  rxhash?: number;
  /** CPU number (SKF_AD_CPU). */
  cpu?: number;
  /**
   * VLAN TCI the kernel removed from the frame (SKF_AD_VLAN_TAG). Setting it also makes
   * SKF_AD_VLAN_TAG_PRESENT read 1 unless `vlanTagPresent` says otherwise.
   */
  vlanTag?: number;
  /** Whether a removed VLAN tag is held (SKF_AD_VLAN_TAG_PRESENT). */
  vlanTagPresent?: boolean;
  /** TPID of the removed tag (SKF_AD_VLAN_TPID), e.g. 0x8100. */
  vlanTpid?: number;
  /** Transport payload offset the flow dissector would find (SKF_AD_PAY_OFFSET). */
  payloadOffset?: number;
  /** Value or source of SKF_AD_RANDOM; defaults to Math.random. */
  random?: number | (() => number);
  /**
   * Where the network header starts in `packet`, for loads at SKF_NET_OFF + n. Without it such
   * loads fail (and the program returns 0).
   */
  networkOffset?: number;
  /**
   * Where the link-layer header starts in `packet`, for loads at SKF_LL_OFF + n (0 on a
   * SOCK_RAW packet socket). Without it such loads fail.
   */
  linkOffset?: number;
  /**
   * skb->len, what `ld len` (tcpdump's `len`, `less`, `greater`) reads: the packet's length when
   * the kernel ran the filter. Give it when `packet` holds only the captured start of a longer
   * packet; default `packet.length`. Loads past the end of `packet` still fail.
   */
  length?: number;
}

/**
 * Options of run().
 * @example bpf.run(program, frame, { pktType: bpf.opcodes.PACKET_OUTGOING, ifIndex: 1, validate: false })
 */
export interface RunOptions extends PacketContext {
  /** Check the program with validate() first (default true), as the kernel does when attaching. */
  validate?: boolean;
}

const SIZE_BYTES: Record<number, number> = { [BPF_W]: 4, [BPF_H]: 2, [BPF_B]: 1 };

function read(packet: Uint8Array, at: number, size: number): number {
  if (size === 1) return packet[at] as number;
  if (size === 2) return ((packet[at] as number) << 8) | (packet[at + 1] as number);
  return (
    (((packet[at] as number) << 24) |
      ((packet[at + 1] as number) << 16) |
      ((packet[at + 2] as number) << 8) |
      (packet[at + 3] as number)) >>>
    0
  );
}

/**
 * A packet load as the kernel does it: offsets are signed 32-bit; non-negative ones read the
 * packet, SKF_NET_OFF/SKF_LL_OFF ranges read relative to the network/link header, anything else
 * (or a read past the end) fails.
 */
function load(packet: Uint8Array, offset: number, size: number, context: PacketContext): number | undefined {
  let at: number;
  if (offset >= 0) at = offset;
  else if (offset >= SKF_NET_OFF) {
    if (context.networkOffset === undefined) return undefined;
    at = context.networkOffset + offset - SKF_NET_OFF;
  } else if (offset >= SKF_LL_OFF) {
    if (context.linkOffset === undefined) return undefined;
    at = context.linkOffset + offset - SKF_LL_OFF;
  } else return undefined;
  if (at < 0 || at + size > packet.length) return undefined;
  return read(packet, at, size);
}

/** nla_find(): offset of the first netlink attribute of `type` in [start, end), or 0. */
function findAttribute(packet: Uint8Array, start: number, end: number, type: number): number {
  let at = start;
  while (at + 4 <= end) {
    const len = (packet[at] as number) | ((packet[at + 1] as number) << 8);
    const attrType = ((packet[at + 2] as number) | ((packet[at + 3] as number) << 8)) & 0x3fff;
    if (len < 4 || at + len > end) return 0;
    if (attrType === type) return at;
    at += (len + 3) & ~3;
  }
  return 0;
}

function ancillary(offset: number, a: number, x: number, packet: Uint8Array, context: PacketContext): number {
  switch (offset) {
    case SKF_AD_PROTOCOL:
      return (context.protocol ?? 0) & 0xffff;
    case SKF_AD_PKTTYPE:
      return (context.pktType ?? 0) & 0x7;
    case SKF_AD_IFINDEX:
      return context.ifIndex ?? 0;
    case SKF_AD_MARK:
      return context.mark ?? 0;
    case SKF_AD_QUEUE:
      return (context.queue ?? 0) & 0xffff;
    case SKF_AD_HATYPE:
      return (context.hatype ?? 0) & 0xffff;
    case SKF_AD_RXHASH:
      return context.rxhash ?? 0;
    case SKF_AD_CPU:
      return context.cpu ?? 0;
    case SKF_AD_VLAN_TAG:
      return (context.vlanTag ?? 0) & 0xffff;
    case SKF_AD_VLAN_TAG_PRESENT:
      return (context.vlanTagPresent ?? context.vlanTag !== undefined) ? 1 : 0;
    case SKF_AD_VLAN_TPID:
      return (context.vlanTpid ?? 0) & 0xffff;
    case SKF_AD_PAY_OFFSET:
      return context.payloadOffset ?? 0;
    case SKF_AD_RANDOM: {
      const r = context.random;
      if (typeof r === 'number') return r >>> 0;
      return typeof r === 'function' ? r() >>> 0 : Math.floor(Math.random() * 0x100000000);
    }
    // bpf_skb_get_nlattr(): A is where to start, X the attribute type.
    case SKF_AD_NLATTR:
      if (packet.length < 4 || a > packet.length - 4) return 0;
      return findAttribute(packet, a, packet.length, x);
    // bpf_skb_get_nlattr_nest(): the nested attribute at A, searched for type X.
    case SKF_AD_NLATTR_NEST: {
      if (packet.length < 4 || a > packet.length - 4) return 0;
      const len = (packet[a] as number) | ((packet[a + 1] as number) << 8);
      if (len > packet.length - a) return 0;
      return findAttribute(packet, a + 4, a + len, x);
    }
    default:
      return 0;
  }
}

/**
 * Runs a classic BPF program over one packet and returns what the kernel's filter returns: the
 * number of bytes of the packet to keep (0 drops it; a value above the packet's length keeps it
 * whole — the kernel never extends a packet).
 *
 * Kernel semantics reproduced: A, X and the scratch cells start at 0; arithmetic is unsigned
 * 32-bit; a load outside the packet ends the program with 0; so does division or modulo by X = 0;
 * shifts by X use the low 5 bits of X (as x86-64 does); ancillary loads ignore their size and read
 * `options`. The program is validated first unless `validate: false`.
 * @example bpf.run(bpf.compile('udp'), frame) // 262144 for a UDP frame, 0 otherwise
 */
export function run(program: Program, packet: Uint8Array, options: RunOptions = {}): number {
  if (options.validate !== false) validate(program);
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(16);
  let pc = 0;
  for (;;) {
    const insn = program[pc] as Instruction | undefined;
    if (insn === undefined) return 0;
    const { code, k } = insn;
    pc++;
    switch (code & 0x07) {
      case BPF_LD:
      case BPF_LDX: {
        const toX = (code & 0x07) === BPF_LDX;
        const mode = code & 0xe0;
        let value: number | undefined;
        if (mode === BPF_IMM) value = k;
        else if (mode === BPF_LEN) value = (options.length ?? packet.length) >>> 0;
        else if (mode === BPF_MEM) value = mem[k & 15] as number;
        else if (mode === BPF_ABS && !toX) {
          const anc = (k | 0) - SKF_AD_OFF;
          if ((k | 0) >= SKF_AD_OFF && anc < 64) {
            if (anc === SKF_AD_ALU_XOR_X) value = (a ^ x) >>> 0;
            else value = ancillary(anc, a, x, packet, options) >>> 0;
          } else value = load(packet, k | 0, SIZE_BYTES[code & 0x18] ?? 4, options);
        } else if (mode === BPF_IND && !toX) {
          value = load(packet, (x + k) | 0, SIZE_BYTES[code & 0x18] ?? 4, options);
        } else if (mode === BPF_MSH && toX) {
          const byte = load(packet, k | 0, 1, options);
          value = byte === undefined ? undefined : (byte & 0xf) << 2;
        } else return 0;
        if (value === undefined) return 0;
        if (toX) x = value >>> 0;
        else a = value >>> 0;
        break;
      }
      case BPF_ST:
        mem[k & 15] = a;
        break;
      case BPF_STX:
        mem[k & 15] = x;
        break;
      case BPF_ALU: {
        const operand = (code & BPF_X) === BPF_X ? x : k;
        switch (code & 0xf0) {
          case BPF_ADD:
            a = (a + operand) >>> 0;
            break;
          case BPF_SUB:
            a = (a - operand) >>> 0;
            break;
          case BPF_MUL:
            a = Math.imul(a, operand) >>> 0;
            break;
          case BPF_DIV:
            if (operand === 0) return 0;
            a = Math.floor(a / operand) >>> 0;
            break;
          case BPF_MOD:
            if (operand === 0) return 0;
            a = (a % operand) >>> 0;
            break;
          case BPF_OR:
            a = (a | operand) >>> 0;
            break;
          case BPF_AND:
            a = (a & operand) >>> 0;
            break;
          case BPF_XOR:
            a = (a ^ operand) >>> 0;
            break;
          case BPF_LSH:
            a = (a << (operand & 31)) >>> 0;
            break;
          case BPF_RSH:
            a = a >>> (operand & 31);
            break;
          case BPF_NEG:
            a = -a >>> 0;
            break;
          default:
            return 0;
        }
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          pc += k;
          break;
        }
        const operand = (code & BPF_X) === BPF_X ? x : k;
        let taken: boolean;
        if (op === BPF_JEQ) taken = a === operand;
        else if (op === BPF_JGT) taken = a > operand;
        else if (op === BPF_JGE) taken = a >= operand;
        else if (op === BPF_JSET) taken = (a & operand) !== 0;
        else return 0;
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case BPF_RET:
        return ((code & 0x18) === BPF_A ? a : k) >>> 0;
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TAX) x = a;
        else if ((code & 0xf8) === BPF_TXA) a = x;
        break;
    }
  }
}

/**
 * True when the kernel would deliver the packet, i.e. run() returned more than 0.
 * @example bpf.matches(bpf.toProgram(bpf.udpPort(53)), frame)
 */
export function matches(program: Program, packet: Uint8Array, options: RunOptions = {}): boolean {
  return run(program, packet, options) > 0;
}

/**
 * How many bytes a packet socket would hand over: min(packet length, the filter's verdict).
 * @example bpf.capturedLength(bpf.compile('ip', { snaplen: 64 }), frame) // min(frame.length, 64)
 */
export function capturedLength(program: Program, packet: Uint8Array, options: RunOptions = {}): number {
  return Math.min(packet.length, run(program, packet, options));
}
