// Classic BPF opcode fields and Linux ancillary offsets, named exactly as the kernel's
// <linux/bpf_common.h> and <linux/filter.h> name them.
//
// An opcode is the OR of a class, and for loads a size and an addressing mode, for ALU and jumps an
// operation and a source: `BPF_LD | BPF_H | BPF_ABS` is "load the 16-bit word at offset k".

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes (code & 0x18).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Load addressing modes (code & 0xe0).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

// Jump operations (code & 0xf0).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source for ALU and jumps (code & 0x08): the constant k or the X register.
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// Return value source (code & 0x18) for BPF_RET.
export const BPF_A = 0x10;

// BPF_MISC operations (code & 0xf8).
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Largest program the kernel accepts (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Number of scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/** Field extractors, as the BPF_CLASS/BPF_SIZE/... macros. */
export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfRval = (code: number): number => code & 0x18;
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

/** k (as an unsigned 32-bit value) of the ancillary load `SKF_AD_OFF + offset`. */
export const ancillaryK = (offset: number): number => (SKF_AD_OFF + offset) >>> 0;

/**
 * The ancillary offset (SKF_AD_*) an absolute load's k selects, or undefined when k is not one
 * the kernel knows.
 */
export function ancillaryOffset(k: number): number | undefined {
  const offset = (k >>> 0) - (SKF_AD_OFF >>> 0);
  if (offset < 0 || offset >= SKF_AD_MAX) return undefined;
  return ANCILLARY_NAMES[offset] === undefined ? undefined : offset;
}

// Packet types (<linux/if_packet.h>), the values of SKF_AD_PKTTYPE.
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
