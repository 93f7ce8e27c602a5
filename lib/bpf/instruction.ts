// One classic BPF instruction: the kernel's struct sock_filter (<linux/filter.h>), and helpers
// that make each kind of instruction without spelling out opcode bits.
import { littleEndian } from '../core/node-builtin.js';
import {
  ancillaryK,
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
  BPF_K,
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
} from './opcodes.js';

/**
 * One classic BPF instruction, laid out as the kernel's `struct sock_filter`: a 16-bit opcode,
 * two 8-bit conditional jump offsets and a 32-bit operand.
 */
export interface Instruction {
  /** Opcode: class | size/operation | mode/source (see opcodes.ts). */
  code: number;
  /** Conditional jumps: how many instructions to skip when the condition holds (0..255). */
  jt: number;
  /** Conditional jumps: how many instructions to skip when it does not (0..255). */
  jf: number;
  /** Operand, an unsigned 32-bit value (offsets below zero are stored as their two's complement). */
  k: number;
}

/** A program: what SO_ATTACH_FILTER takes (struct sock_fprog without the length). */
export type Program = readonly Instruction[];

/** Size in bytes of one struct sock_filter. */
export const INSTRUCTION_SIZE = 8;

/** Load widths: a 32-bit word, a 16-bit half-word or a byte. Multi-byte loads are big-endian. */
export type LoadSize = 1 | 2 | 4;
/** ALU operations that take an operand. */
export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh';
/** Conditional jump tests: A == v, A > v, A >= v, (A & v) != 0 (all unsigned). */
export type JumpOp = 'jeq' | 'jgt' | 'jge' | 'jset';
/** An operand: a constant, or the X register. */
export type Operand = number | 'x';

const SIZE_BITS: Record<LoadSize, number> = { 4: BPF_W, 2: BPF_H, 1: BPF_B };
export const ALU_OPS: Record<AluOp, number> = {
  add: BPF_ADD,
  sub: BPF_SUB,
  mul: BPF_MUL,
  div: BPF_DIV,
  mod: BPF_MOD,
  and: BPF_AND,
  or: BPF_OR,
  xor: BPF_XOR,
  lsh: BPF_LSH,
  rsh: BPF_RSH,
};
export const JUMP_OPS: Record<JumpOp, number> = { jeq: BPF_JEQ, jgt: BPF_JGT, jge: BPF_JGE, jset: BPF_JSET };

/**
 * Any instruction from its raw fields; k is stored as an unsigned 32-bit value.
 * @example bpf.instruction(0x28, 12) // ldh [12], the same as bpf.loadAbsolute(12, 2)
 */
export function instruction(code: number, k = 0, jt = 0, jf = 0): Instruction {
  return { code: code & 0xffff, jt: jt & 0xff, jf: jf & 0xff, k: k >>> 0 };
}

/**
 * A = the big-endian value of `size` bytes at `offset` (`ld/ldh/ldb [offset]`).
 * @example bpf.loadAbsolute(12, 2) // ldh [12]: the EtherType
 */
export function loadAbsolute(offset: number, size: LoadSize = 4): Instruction {
  return instruction(BPF_LD | SIZE_BITS[size] | BPF_ABS, offset);
}

/**
 * A = the value of `size` bytes at X + `offset` (`ld/ldh/ldb [x + offset]`).
 * @example bpf.loadIndirect(16, 2) // ldh [x + 16]: after ldxb 4*([14]&0xf), the TCP/UDP destination port
 */
export function loadIndirect(offset: number, size: LoadSize = 4): Instruction {
  return instruction(BPF_LD | SIZE_BITS[size] | BPF_IND, offset);
}

/**
 * A = a Linux ancillary value (`ld #proto`; `offset` is one of the SKF_AD_* constants).
 * @example bpf.loadAncillary(bpf.opcodes.SKF_AD_PROTOCOL, 2) // ldh [proto]
 */
export function loadAncillary(offset: number, size: LoadSize = 4): Instruction {
  return instruction(BPF_LD | SIZE_BITS[size] | BPF_ABS, ancillaryK(offset));
}

/**
 * A = k (`ld #k`).
 * @example bpf.loadConstant(0x800) // ld #0x800
 */
export function loadConstant(k: number): Instruction {
  return instruction(BPF_LD | BPF_W | BPF_IMM, k);
}

/**
 * X = k (`ldx #k`).
 * @example bpf.loadXConstant(14) // ldx #14
 */
export function loadXConstant(k: number): Instruction {
  return instruction(BPF_LDX | BPF_W | BPF_IMM, k);
}

/**
 * A = the packet's length (`ld #pktlen`).
 * @example [bpf.loadLength(), bpf.returnA()] // keep every byte
 */
export function loadLength(): Instruction {
  return instruction(BPF_LD | BPF_W | BPF_LEN);
}

/**
 * X = the packet's length (`ldx #pktlen`).
 * @example bpf.loadXLength() // ldx #pktlen
 */
export function loadXLength(): Instruction {
  return instruction(BPF_LDX | BPF_W | BPF_LEN);
}

/**
 * A = M[index] (`ld M[index]`).
 * @example bpf.loadMemory(0) // ld M[0]
 */
export function loadMemory(index: number): Instruction {
  return instruction(BPF_LD | BPF_MEM, index);
}

/**
 * X = M[index] (`ldx M[index]`).
 * @example bpf.loadXMemory(1) // ldx M[1]
 */
export function loadXMemory(index: number): Instruction {
  return instruction(BPF_LDX | BPF_MEM, index);
}

/**
 * X = 4 * (byte at `offset` & 0xf): the IPv4 header length (`ldxb 4*([offset]&0xf)`).
 * @example bpf.loadIPv4HeaderLength(14) // ldxb 4*([14]&0xf), after a 14-byte Ethernet header
 */
export function loadIPv4HeaderLength(offset: number): Instruction {
  return instruction(BPF_LDX | BPF_B | BPF_MSH, offset);
}

/**
 * M[index] = A (`st M[index]`).
 * @example bpf.store(0) // st M[0]
 */
export function store(index: number): Instruction {
  return instruction(BPF_ST, index);
}

/**
 * M[index] = X (`stx M[index]`).
 * @example bpf.storeX(1) // stx M[1]
 */
export function storeX(index: number): Instruction {
  return instruction(BPF_STX, index);
}

/**
 * A = A op operand, 32-bit unsigned arithmetic (`add #k`, `and x`, ...).
 * @example bpf.alu('and', 0x1fff) // and #0x1fff; bpf.alu('add', 'x') is add x
 */
export function alu(op: AluOp, operand: Operand): Instruction {
  return operand === 'x'
    ? instruction(BPF_ALU | ALU_OPS[op] | BPF_X)
    : instruction(BPF_ALU | ALU_OPS[op] | BPF_K, operand);
}

/**
 * A = -A (`neg`).
 * @example bpf.negate() // neg
 */
export function negate(): Instruction {
  return instruction(BPF_ALU | BPF_NEG);
}

/**
 * Unconditional forward jump over `skip` instructions (`ja`).
 * @example bpf.jumpAlways(2) // ja: skip the next two instructions
 */
export function jumpAlways(skip: number): Instruction {
  return instruction(BPF_JMP | BPF_JA, skip);
}

/**
 * Conditional jump: skip `jt` instructions when `A op operand` holds, else `jf` (0 means the
 * next instruction). Offsets are relative and forward only.
 * @example bpf.jump('jeq', 0x800, 0, 3) // jeq #0x800: next instruction if IPv4, else skip 3
 */
export function jump(op: JumpOp, operand: Operand, jt: number, jf: number): Instruction {
  return operand === 'x'
    ? instruction(BPF_JMP | JUMP_OPS[op] | BPF_X, 0, jt, jf)
    : instruction(BPF_JMP | JUMP_OPS[op] | BPF_K, operand, jt, jf);
}

/**
 * Ends the program keeping `k` bytes of the packet; 0 drops it (`ret #k`).
 * @example bpf.returnConstant(0xffff) // ret #65535; bpf.returnConstant(0) drops
 */
export function returnConstant(k: number): Instruction {
  return instruction(BPF_RET | BPF_K, k);
}

/**
 * Ends the program keeping A bytes of the packet (`ret a`).
 * @example [bpf.loadLength(), bpf.returnA()] // ld #pktlen; ret a
 */
export function returnA(): Instruction {
  return instruction(BPF_RET | BPF_A);
}

/**
 * X = A (`tax`).
 * @example bpf.tax() // X = A
 */
export function tax(): Instruction {
  return instruction(BPF_MISC | BPF_TAX);
}

/**
 * A = X (`txa`).
 * @example bpf.txa() // A = X
 */
export function txa(): Instruction {
  return instruction(BPF_MISC | BPF_TXA);
}

/**
 * The program as an array of struct sock_filter, in host byte order: what SO_ATTACH_FILTER
 * reads through sock_fprog.filter.
 * @example bpf.toBytes([bpf.returnConstant(0)]) // <Buffer 06 00 00 00 00 00 00 00> on little-endian hosts
 */
export function toBytes(program: Program): Buffer {
  const bytes = Buffer.alloc(program.length * INSTRUCTION_SIZE);
  program.forEach((insn, i) => {
    const at = i * INSTRUCTION_SIZE;
    if (littleEndian) {
      bytes.writeUInt16LE(insn.code & 0xffff, at);
      bytes.writeUInt32LE(insn.k >>> 0, at + 4);
    } else {
      bytes.writeUInt16BE(insn.code & 0xffff, at);
      bytes.writeUInt32BE(insn.k >>> 0, at + 4);
    }
    bytes[at + 2] = insn.jt & 0xff;
    bytes[at + 3] = insn.jf & 0xff;
  });
  return bytes;
}

/**
 * Reads packed struct sock_filter entries (host byte order), e.g. from SO_GET_FILTER.
 * @example bpf.fromBytes(bpf.toBytes(program)) // a copy of program
 */
export function fromBytes(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSTRUCTION_SIZE !== 0) {
    throw new RangeError(
      `A classic BPF program is a multiple of ${INSTRUCTION_SIZE} bytes (struct sock_filter); got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const program: Instruction[] = [];
  for (let at = 0; at < bytes.length; at += INSTRUCTION_SIZE) {
    program.push({
      code: view.getUint16(at, littleEndian),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, littleEndian),
    });
  }
  return program;
}
