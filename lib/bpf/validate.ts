// The checks the Linux kernel applies before it accepts a classic BPF program
// (net/core/filter.c: bpf_check_basics_ok, bpf_check_classic, chk_code_allowed,
// check_load_and_stores). A program that passes here is one SO_ATTACH_FILTER accepts (short of
// ENOMEM when the program is larger than net.core.optmem_max allows).
import type { Instruction, Program } from './instruction.js';
import {
  ancillaryOffset,
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
  BPF_MAXINSNS,
  BPF_MEM,
  BPF_MEMWORDS,
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
  SKF_AD_OFF,
} from './opcodes.js';

/** Which kernel rule a program breaks. */
export type BpfViolation =
  | 'length'
  | 'field-range'
  | 'opcode'
  | 'division-by-zero'
  | 'shift-range'
  | 'scratch-index'
  | 'jump-range'
  | 'ancillary'
  | 'last-not-ret'
  | 'scratch-uninitialized';

/**
 * A program the kernel would refuse with EINVAL. `index` is the first offending instruction
 * (for 'length', -1), `rule` says which check failed.
 * @example
 * try {
 *   bpf.validate([bpf.loadAbsolute(12, 2)]); // does not end in ret
 * } catch (error) {
 *   if (error instanceof bpf.BpfValidationError) console.log(error.index, error.rule);
 * }
 */
export class BpfValidationError extends Error {
  /** Always 'ERR_BPF_INVALID', to tell this error apart without instanceof. */
  readonly code = 'ERR_BPF_INVALID';
  /** The first offending instruction (0-based), -1 when the program as a whole is refused. */
  readonly index: number;
  /** Which of the kernel's checks failed. */
  readonly rule: BpfViolation;
  constructor(index: number, rule: BpfViolation, message: string) {
    super(index >= 0 ? `instruction ${index}: ${message}` : message);
    this.name = 'BpfValidationError';
    this.index = index;
    this.rule = rule;
  }
}

/** What validate() found out about a program the kernel accepts. */
export interface ValidationResult {
  /** Number of instructions. */
  length: number;
  /** Scratch cells M[i] the program writes. */
  scratchUsed: number[];
  /** Ancillary offsets (SKF_AD_*) the program loads. */
  ancillary: number[];
  /** True when the program reads packet bytes through negative SKF_NET_OFF/SKF_LL_OFF offsets. */
  negativeOffsets: boolean;
}

/** The opcodes chk_code_allowed() lets through; every other value of `code` is refused. */
export const ALLOWED_CODES: ReadonlySet<number> = new Set([
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_H | BPF_ABS,
  BPF_LD | BPF_B | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LD | BPF_W | BPF_IND,
  BPF_LD | BPF_H | BPF_IND,
  BPF_LD | BPF_B | BPF_IND,
  BPF_LD | BPF_IMM,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_LDX | BPF_B | BPF_MSH,
  BPF_LDX | BPF_IMM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

const CONDITIONAL_JUMPS = new Set(
  [BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
);
const SCRATCH_CODES = new Set([BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX]);
const ABS_LOADS = new Set([BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS]);
const SKF_AD_OFF_U32 = SKF_AD_OFF >>> 0;
const SKF_NEGATIVE = 0x80000000;

function isUint(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * Applies the kernel's checks to a classic BPF program, in the kernel's order, and throws at the
 * first one that fails:
 *
 * - 1 to 4096 instructions (BPF_MAXINSNS);
 * - every opcode one chk_code_allowed() knows (e.g. `ld #k` must be exactly BPF_LD|BPF_IMM; RET X,
 *   BPF_MISC other than TAX/TXA and anything with stray bits are refused);
 * - no DIV or MOD by the constant 0;
 * - no LSH/RSH by a constant ≥ 32 (shifts by X are allowed; at run time the x86-64 kernel uses
 *   X & 31);
 * - scratch cells M[k] with k < 16;
 * - `ja` lands inside the program (k < length - pc - 1); conditional jumps (8-bit jt/jf) too;
 * - absolute loads at SKF_AD_OFF (-0x1000) and above name a known ancillary value;
 * - the last instruction is `ret #k` or `ret a`;
 * - no scratch cell is read before it is written on some path (check_load_and_stores: the kernel
 *   follows every jump and intersects what has been written at each target).
 *
 * Fields must also fit the struct (code 16 bits, jt/jf 8 bits, k 32 bits), else 'field-range'.
 * @throws BpfValidationError with `index` and `rule`.
 * @example bpf.validate(bpf.assemble('ld #len\nret a')).length // 2
 */
export function validate(program: Program): ValidationResult {
  const length = program.length;
  if (length === 0 || length > BPF_MAXINSNS) {
    throw new BpfValidationError(
      -1,
      'length',
      `a program has 1 to ${BPF_MAXINSNS} instructions (BPF_MAXINSNS); this one has ${length}`,
    );
  }
  const ancillary = new Set<number>();
  let negativeOffsets = false;
  for (let pc = 0; pc < length; pc++) {
    const insn = program[pc] as Instruction;
    if (!isUint(insn.code, 0xffff) || !isUint(insn.jt, 0xff) || !isUint(insn.jf, 0xff) || !isUint(insn.k, 0xffffffff)) {
      throw new BpfValidationError(
        pc,
        'field-range',
        `fields must fit struct sock_filter (code 0..0xffff, jt/jf 0..255, k 0..0xffffffff): ${JSON.stringify(insn)}`,
      );
    }
    const { code, k } = insn;
    if (!ALLOWED_CODES.has(code)) {
      throw new BpfValidationError(pc, 'opcode', `opcode 0x${code.toString(16)} is not one the kernel accepts`);
    }
    switch (code) {
      case BPF_ALU | BPF_DIV | BPF_K:
      case BPF_ALU | BPF_MOD | BPF_K:
        if (k === 0) throw new BpfValidationError(pc, 'division-by-zero', 'division or modulo by the constant 0');
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (k >= 32) throw new BpfValidationError(pc, 'shift-range', `shift by ${k}: constant shifts must be below 32`);
        break;
      case BPF_JMP | BPF_JA:
        if (k >= length - pc - 1) {
          throw new BpfValidationError(pc, 'jump-range', `ja skips ${k} instructions, past the end of the program`);
        }
        break;
      default:
        if (SCRATCH_CODES.has(code) && k >= BPF_MEMWORDS) {
          throw new BpfValidationError(pc, 'scratch-index', `scratch cell M[${k}] does not exist (M[0] to M[15])`);
        }
        if (CONDITIONAL_JUMPS.has(code) && (pc + insn.jt + 1 >= length || pc + insn.jf + 1 >= length)) {
          throw new BpfValidationError(
            pc,
            'jump-range',
            `jump target ${pc + 1 + Math.max(insn.jt, insn.jf)} is past the end of the program`,
          );
        }
        if (ABS_LOADS.has(code) && k >= SKF_AD_OFF_U32) {
          const offset = ancillaryOffset(k);
          if (offset === undefined) {
            throw new BpfValidationError(
              pc,
              'ancillary',
              `offset ${k | 0} is in the ancillary range (SKF_AD_OFF + ${(k - SKF_AD_OFF_U32) | 0}) but names no ancillary value the kernel knows`,
            );
          }
          ancillary.add(offset);
        } else if ((ABS_LOADS.has(code) || code === (BPF_LDX | BPF_B | BPF_MSH)) && k >= SKF_NEGATIVE) {
          negativeOffsets = true;
        }
    }
  }
  const last = program[length - 1] as Instruction;
  if (last.code !== (BPF_RET | BPF_K) && last.code !== (BPF_RET | BPF_A)) {
    throw new BpfValidationError(length - 1, 'last-not-ret', 'the last instruction must be ret #k or ret a');
  }
  return {
    length,
    scratchUsed: checkLoadsAndStores(program),
    ancillary: [...ancillary].sort((a, b) => a - b),
    negativeOffsets,
  };
}

/**
 * check_load_and_stores(): walking forward, `valid` holds the cells written on the path that falls
 * through; each jump intersects it into the mask of its targets and the instruction after a jump
 * starts from that mask alone. Returns the cells written anywhere.
 */
function checkLoadsAndStores(program: Program): number[] {
  const masks = new Uint16Array(program.length).fill(0xffff);
  let valid = 0;
  let written = 0;
  program.forEach((insn, pc) => {
    valid &= masks[pc] as number;
    switch (insn.code) {
      case BPF_ST:
      case BPF_STX:
        valid |= 1 << insn.k;
        written |= 1 << insn.k;
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if ((valid & (1 << insn.k)) === 0) {
          throw new BpfValidationError(
            pc,
            'scratch-uninitialized',
            `M[${insn.k}] is read before it is written on some path to this instruction`,
          );
        }
        break;
      case BPF_JMP | BPF_JA:
        masks[pc + 1 + insn.k] = (masks[pc + 1 + insn.k] as number) & valid;
        valid = 0xffff;
        break;
      default:
        if (CONDITIONAL_JUMPS.has(insn.code)) {
          masks[pc + 1 + insn.jt] = (masks[pc + 1 + insn.jt] as number) & valid;
          masks[pc + 1 + insn.jf] = (masks[pc + 1 + insn.jf] as number) & valid;
          valid = 0xffff;
        }
    }
  });
  const cells: number[] = [];
  for (let i = 0; i < BPF_MEMWORDS; i++) if (written & (1 << i)) cells.push(i);
  return cells;
}

/**
 * True when the kernel would accept the program (validate() without the exception).
 * @example bpf.isValid([bpf.returnConstant(0)]) // true
 */
export function isValid(program: Program): boolean {
  try {
    validate(program);
    return true;
  } catch (error) {
    if (error instanceof BpfValidationError) return false;
    throw error;
  }
}
