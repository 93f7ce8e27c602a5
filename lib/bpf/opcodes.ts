// Classic BPF opcode fields and Linux ancillary offsets, named exactly as the kernel's
// <linux/bpf_common.h> and <linux/filter.h> name them.
//
// An opcode is the OR of a class, and for loads a size and an addressing mode, for ALU and jumps an
// operation and a source: `BPF_LD | BPF_H | BPF_ABS` is "load the 16-bit word at offset k".

// Instruction classes (code & 0x07).
/** Class: load into the accumulator A (`ld`, `ldh`, `ldb`). */
export const BPF_LD = 0x00;
/** Class: load into the index register X (`ldx`, `ldxb`). */
export const BPF_LDX = 0x01;
/** Class: store A into scratch memory M[k] (`st`). */
export const BPF_ST = 0x02;
/** Class: store X into scratch memory M[k] (`stx`). */
export const BPF_STX = 0x03;
/** Class: arithmetic and logic on A, with k or X as the operand. */
export const BPF_ALU = 0x04;
/** Class: jumps; conditional jumps compare A with k or X. */
export const BPF_JMP = 0x05;
/** Class: end the program, returning how many bytes of the packet to keep (0 drops it). */
export const BPF_RET = 0x06;
/** Class: register transfers between A and X (`tax`, `txa`). */
export const BPF_MISC = 0x07;

// Load sizes (code & 0x18).
/** Size: 32-bit word, in network byte order. */
export const BPF_W = 0x00;
/** Size: 16-bit half-word, in network byte order. */
export const BPF_H = 0x08;
/** Size: one byte. */
export const BPF_B = 0x10;

// Load addressing modes (code & 0xe0).
/** Mode: the constant k itself (`ld #k`). */
export const BPF_IMM = 0x00;
/** Mode: packet bytes at offset k (`ld [k]`). */
export const BPF_ABS = 0x20;
/** Mode: packet bytes at offset X + k (`ld [x + k]`). */
export const BPF_IND = 0x40;
/** Mode: scratch memory word M[k] (`ld M[k]`). */
export const BPF_MEM = 0x60;
/** Mode: the packet length (`ld #len`). */
export const BPF_LEN = 0x80;
/** Mode, for `ldxb` only: 4 * (packet[k] & 0xf), the IPv4 header length (`ldxb 4*([k]&0xf)`). */
export const BPF_MSH = 0xa0;

// ALU operations (code & 0xf0).
/** ALU: A + operand. */
export const BPF_ADD = 0x00;
/** ALU: A - operand. */
export const BPF_SUB = 0x10;
/** ALU: A * operand (32-bit, wrapping). */
export const BPF_MUL = 0x20;
/** ALU: A / operand, unsigned; a division by X = 0 ends the program returning 0. */
export const BPF_DIV = 0x30;
/** ALU: A | operand. */
export const BPF_OR = 0x40;
/** ALU: A & operand. */
export const BPF_AND = 0x50;
/** ALU: A << operand. */
export const BPF_LSH = 0x60;
/** ALU: A >> operand (logical). */
export const BPF_RSH = 0x70;
/** ALU: -A (no operand). */
export const BPF_NEG = 0x80;
/** ALU: A % operand, unsigned; a modulo by X = 0 ends the program returning 0. */
export const BPF_MOD = 0x90;
/** ALU: A ^ operand. */
export const BPF_XOR = 0xa0;

// Jump operations (code & 0xf0).
/** Jump: always, forward by k instructions. */
export const BPF_JA = 0x00;
/** Jump: to jt when A == operand, else to jf. */
export const BPF_JEQ = 0x10;
/** Jump: to jt when A > operand (unsigned), else to jf. */
export const BPF_JGT = 0x20;
/** Jump: to jt when A >= operand (unsigned), else to jf. */
export const BPF_JGE = 0x30;
/** Jump: to jt when A & operand is not 0, else to jf. */
export const BPF_JSET = 0x40;

// Operand source for ALU and jumps (code & 0x08): the constant k or the X register.
/** Source: the constant k. */
export const BPF_K = 0x00;
/** Source: the index register X. */
export const BPF_X = 0x08;

// Return value source (code & 0x18) for BPF_RET.
/** Return source: the accumulator A (`ret a`); with BPF_K (0) the constant k (`ret #k`). */
export const BPF_A = 0x10;

// BPF_MISC operations (code & 0xf8).
/** Misc: X = A (`tax`). */
export const BPF_TAX = 0x00;
/** Misc: A = X (`txa`). */
export const BPF_TXA = 0x80;

/** Largest program the kernel accepts (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Number of scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/**
 * The class of an opcode (BPF_CLASS: code & 0x07), one of BPF_LD … BPF_MISC.
 * @example bpfClass(BPF_LD | BPF_H | BPF_ABS) === BPF_LD // true
 */
export const bpfClass = (code: number): number => code & 0x07;
/**
 * The load size of an opcode (BPF_SIZE: code & 0x18): BPF_W, BPF_H or BPF_B.
 * @example bpfSize(0x28) === BPF_H // ldh [k]
 */
export const bpfSize = (code: number): number => code & 0x18;
/**
 * The addressing mode of a load (BPF_MODE: code & 0xe0): BPF_IMM … BPF_MSH.
 * @example bpfMode(0x28) === BPF_ABS // ldh [k]
 */
export const bpfMode = (code: number): number => code & 0xe0;
/**
 * The operation of an ALU or jump opcode (BPF_OP: code & 0xf0).
 * @example bpfOp(BPF_JMP | BPF_JEQ | BPF_K) === BPF_JEQ // true
 */
export const bpfOp = (code: number): number => code & 0xf0;
/**
 * The operand source of an ALU or jump opcode (BPF_SRC: code & 0x08): BPF_K or BPF_X.
 * @example bpfSrc(BPF_ALU | BPF_ADD | BPF_X) === BPF_X // true
 */
export const bpfSrc = (code: number): number => code & 0x08;
/**
 * The return source of a BPF_RET opcode (BPF_RVAL: code & 0x18): BPF_K or BPF_A.
 * @example bpfRval(BPF_RET | BPF_A) === BPF_A // ret a
 */
export const bpfRval = (code: number): number => code & 0x18;
/**
 * The operation of a BPF_MISC opcode (BPF_MISCOP: code & 0xf8): BPF_TAX or BPF_TXA.
 * @example bpfMiscOp(BPF_MISC | BPF_TXA) === BPF_TXA // true
 */
export const bpfMiscOp = (code: number): number => code & 0xf8;

// Linux "ancillary data" loads: an absolute load (BPF_LD | BPF_ABS, any size) whose k is
// SKF_AD_OFF + one of these reads a property of the packet's sk_buff instead of packet bytes.
/** Base of the ancillary offsets (-0x1000). */
export const SKF_AD_OFF = -0x1000;
/** skb->protocol in host order: the EtherType (ETH_P_*) the kernel assigned. */
export const SKF_AD_PROTOCOL = 0;
/** skb->pkt_type: PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4. */
export const SKF_AD_PKTTYPE = 4;
/** Index of the interface the packet is on. */
export const SKF_AD_IFINDEX = 8;
/** Offset of the netlink attribute of type X, searched from offset A. */
export const SKF_AD_NLATTR = 12;
/** Like NLATTR, inside the nested attribute at offset A. */
export const SKF_AD_NLATTR_NEST = 16;
/** skb->mark (SO_MARK, netfilter MARK). */
export const SKF_AD_MARK = 20;
/** skb->queue_mapping. */
export const SKF_AD_QUEUE = 24;
/** dev->type: the ARPHRD_* hardware type of the interface. */
export const SKF_AD_HATYPE = 28;
/** skb->hash, the flow hash. */
export const SKF_AD_RXHASH = 32;
/** The CPU running the filter. */
export const SKF_AD_CPU = 36;
/** Not a load: A ^= X. */
export const SKF_AD_ALU_XOR_X = 40;
/** The VLAN TCI the kernel (or NIC) removed from the frame. */
export const SKF_AD_VLAN_TAG = 44;
/** 1 when the kernel holds a removed VLAN tag for this packet, else 0. */
export const SKF_AD_VLAN_TAG_PRESENT = 48;
/** Offset of the transport payload, found by the kernel's flow dissector. */
export const SKF_AD_PAY_OFFSET = 52;
/** A random 32-bit number (prandom_u32). */
export const SKF_AD_RANDOM = 56;
/** The TPID of the removed VLAN tag (0x8100 or 0x88a8). */
export const SKF_AD_VLAN_TPID = 60;
/** One past the last ancillary offset (SKF_AD_MAX). */
export const SKF_AD_MAX = 64;

/** Loads at SKF_NET_OFF + n read byte n of the network header (-0x100000). */
export const SKF_NET_OFF = -0x100000;
/** Loads at SKF_LL_OFF + n read byte n of the link-layer header (-0x200000). */
export const SKF_LL_OFF = -0x200000;

/**
 * Names of the ancillary offsets known to the kernel (bpf_anc_helper in <linux/filter.h>), as
 * libpcap's disassembler prints them inside brackets (`ldh [proto]`).
 */
export const ANCILLARY_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [SKF_AD_PROTOCOL]: 'proto',
  [SKF_AD_PKTTYPE]: 'type',
  [SKF_AD_IFINDEX]: 'ifidx',
  [SKF_AD_NLATTR]: 'nla',
  [SKF_AD_NLATTR_NEST]: 'nlan',
  [SKF_AD_MARK]: 'mark',
  [SKF_AD_QUEUE]: 'queue',
  [SKF_AD_HATYPE]: 'hatype',
  [SKF_AD_RXHASH]: 'rxhash',
  [SKF_AD_CPU]: 'cpu',
  [SKF_AD_ALU_XOR_X]: 'xor_x',
  [SKF_AD_VLAN_TAG]: 'vlan_tci',
  [SKF_AD_VLAN_TAG_PRESENT]: 'vlanp',
  [SKF_AD_PAY_OFFSET]: 'poff',
  [SKF_AD_RANDOM]: 'random',
  [SKF_AD_VLAN_TPID]: 'vlan_tpid',
});

/**
 * k (as an unsigned 32-bit value) of the ancillary load `SKF_AD_OFF + offset`.
 * @example ancillaryK(SKF_AD_PROTOCOL) // 0xfffff000: `ldh [proto]`
 */
export const ancillaryK = (offset: number): number => (SKF_AD_OFF + offset) >>> 0;

/**
 * The ancillary offset (SKF_AD_*) an absolute load's k selects, or undefined when k is not one
 * the kernel knows.
 * @example ancillaryOffset(0xfffff004) // 4 (SKF_AD_PKTTYPE)
 */
export function ancillaryOffset(k: number): number | undefined {
  const offset = (k >>> 0) - (SKF_AD_OFF >>> 0);
  if (offset < 0 || offset >= SKF_AD_MAX) return undefined;
  return ANCILLARY_NAMES[offset] === undefined ? undefined : offset;
}

// Packet types (<linux/if_packet.h>), the values of SKF_AD_PKTTYPE.
/** Addressed to this host. */
export const PACKET_HOST = 0;
/** Link-layer broadcast. */
export const PACKET_BROADCAST = 1;
/** Link-layer multicast. */
export const PACKET_MULTICAST = 2;
/** Addressed to another host (seen in promiscuous mode). */
export const PACKET_OTHERHOST = 3;
/** Sent by this host (a packet socket sees its outgoing packets too). */
export const PACKET_OUTGOING = 4;
