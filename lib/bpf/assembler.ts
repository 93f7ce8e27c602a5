// Text <-> Instruction[]: an assembler for the mnemonics `tcpdump -d` prints (and the Linux
// kernel's bpf_asm accepts), and a disassembler that prints exactly what `tcpdump -d` prints.
import {
  ALU_OPS,
  type AluOp,
  type Instruction,
  instruction,
  JUMP_OPS,
  type JumpOp,
  type Program,
} from './instruction.js';
import {
  ANCILLARY_NAMES,
  ancillaryK,
  ancillaryOffset,
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_MSH,
  BPF_NEG,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  bpfClass,
  bpfOp,
  SKF_AD_PAY_OFFSET,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_RANDOM,
  SKF_AD_VLAN_TAG_PRESENT,
} from './opcodes.js';

/**
 * Thrown by assemble(): the message names the line (1-based) and what is wrong with it.
 * @example
 * try {
 *   bpf.assemble('ldh [12]\nfoo #1');
 * } catch (error) {
 *   if (error instanceof bpf.BpfAssemblyError) console.log(error.line); // 2
 * }
 */
export class BpfAssemblyError extends SyntaxError {
  /** Always 'ERR_BPF_ASSEMBLY', to tell this error apart without instanceof. */
  readonly code = 'ERR_BPF_ASSEMBLY';
  /** 1-based line number in the source text. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'BpfAssemblyError';
    this.line = line;
  }
}

// Ancillary names: libpcap's disassembler names (`[proto]`) plus the kernel bpf_asm's spellings.
const ANCILLARY_BY_NAME = new Map<string, number>([
  ...Object.entries(ANCILLARY_NAMES).map(([offset, name]) => [name, Number(offset)] as [string, number]),
  ['protocol', SKF_AD_PROTOCOL],
  ['pkttype', SKF_AD_PKTTYPE],
  ['ifindex', 8],
  ['vlan_pr', SKF_AD_VLAN_TAG_PRESENT],
  ['vlan_avail', SKF_AD_VLAN_TAG_PRESENT],
  ['rand', SKF_AD_RANDOM],
  ['pay_offset', SKF_AD_PAY_OFFSET],
]);

const LOAD_SIZES: Record<string, number> = { ld: BPF_W, ldh: BPF_H, ldb: BPF_B };
const JUMPS = new Set(['jeq', 'jgt', 'jge', 'jset', 'jne', 'jneq', 'jlt', 'jle']);

/** A jump target: a label name, or an absolute instruction index as `tcpdump -d` prints them. */
type Target = { label: string } | { index: number };

interface Pending {
  insn: Instruction;
  line: number;
  /** Unconditional jump target (`ja`). */
  ja?: Target;
  /** Conditional jump targets; undefined means "the next instruction". */
  jt?: Target;
  jf?: Target;
}

function parseNumber(text: string, line: number): number {
  const t = text.trim();
  let value: number;
  if (/^[-+]?0x[0-9a-f]+$/i.test(t)) value = Number.parseInt(t.replace(/0x/i, ''), 16) * (t.startsWith('-') ? -1 : 1);
  else if (/^[-+]?0b[01]+$/i.test(t))
    value = Number.parseInt(t.replace(/^[-+]?0b/i, ''), 2) * (t.startsWith('-') ? -1 : 1);
  else if (/^[-+]?0[0-7]+$/.test(t))
    value = Number.parseInt(t.replace(/^[-+]?0/, ''), 8) * (t.startsWith('-') ? -1 : 1);
  else if (/^[-+]?\d+$/.test(t)) value = Number.parseInt(t, 10);
  else throw new BpfAssemblyError(line, `expected a number, got "${t}"`);
  if (value < -0x80000000 || value > 0xffffffff) {
    throw new BpfAssemblyError(line, `${t} does not fit in 32 bits`);
  }
  return value >>> 0;
}

function parseTarget(text: string, line: number): Target {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { index: Number(t) };
  if (/^[A-Za-z_.$][\w.$]*$/.test(t)) return { label: t };
  throw new BpfAssemblyError(line, `expected a jump target (a label or an instruction number), got "${t}"`);
}

/** `#k`, or a bare number. */
function parseImmediate(text: string, line: number): number {
  return parseNumber(text.startsWith('#') ? text.slice(1) : text, line);
}

function isX(text: string): boolean {
  return /^%?x$/i.test(text);
}

function isA(text: string): boolean {
  return /^%?a$/i.test(text);
}

function ancillaryName(text: string): number | undefined {
  const m = /^(?:#|\[)?\s*([a-z_]+)\s*\]?$/i.exec(text);
  if (!m || m[1] === undefined) return undefined;
  return ANCILLARY_BY_NAME.get(m[1].toLowerCase());
}

function memoryIndex(text: string, line: number): number | undefined {
  const m = /^M\[\s*([^\]]+?)\s*\]$/i.exec(text);
  return m?.[1] === undefined ? undefined : parseNumber(m[1], line);
}

function parseLoad(op: string, operand: string, line: number): Instruction {
  const size = LOAD_SIZES[op] ?? BPF_W;
  const anc = ancillaryName(operand);
  if (anc !== undefined && !/^#?(?:len|pktlen)$/i.test(operand))
    return instruction(BPF_LD | size | BPF_ABS, ancillaryK(anc));
  let m = /^\[\s*%?x\s*(?:([+-])\s*([^\]]+?))?\s*\]$/i.exec(operand);
  if (m) {
    const k = m[2] === undefined ? 0 : parseNumber(m[2], line);
    return instruction(BPF_LD | size | BPF_IND, m[1] === '-' ? -k : k);
  }
  m = /^\[\s*([^\]]+?)\s*\]$/.exec(operand);
  if (m?.[1] !== undefined) return instruction(BPF_LD | size | BPF_ABS, parseNumber(m[1], line));
  if (op === 'ld') {
    if (/^#?(?:len|pktlen)$/i.test(operand)) return instruction(BPF_LD | BPF_W | BPF_LEN);
    const mem = memoryIndex(operand, line);
    if (mem !== undefined) return instruction(BPF_LD | BPF_MEM, mem);
    if (operand.startsWith('#')) return instruction(BPF_LD | BPF_W | BPF_IMM, parseImmediate(operand, line));
  }
  throw new BpfAssemblyError(line, `${op} cannot take the operand "${operand}"`);
}

function parseLoadX(op: string, operand: string, line: number): Instruction {
  const msh = /^4\s*\*\s*\(\s*\[\s*([^\]]+?)\s*\]\s*&\s*0xf\s*\)$/i.exec(operand);
  if (msh?.[1] !== undefined) return instruction(BPF_LDX | BPF_B | BPF_MSH, parseNumber(msh[1], line));
  if (op === 'ldx') {
    if (/^#?(?:len|pktlen)$/i.test(operand)) return instruction(BPF_LDX | BPF_W | BPF_LEN);
    const mem = memoryIndex(operand, line);
    if (mem !== undefined) return instruction(BPF_LDX | BPF_MEM, mem);
    if (operand.startsWith('#') || /^[-+]?\d/.test(operand)) {
      return instruction(BPF_LDX | BPF_W | BPF_IMM, parseImmediate(operand, line));
    }
  }
  throw new BpfAssemblyError(line, `${op} cannot take the operand "${operand}"`);
}

/** Splits operands on commas outside brackets and parentheses. */
function splitOperands(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[' || ch === '(') depth++;
    if (ch === ']' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

function parseJump(op: string, rest: string, line: number): Pending {
  let operand: string;
  let jt: Target | undefined;
  let jf: Target | undefined;
  // tcpdump -d form: `jeq #0x800 jt 2 jf 8` (absolute instruction numbers).
  const tcpdumpForm = /^(\S+)\s+jt\s+(\S+)\s+jf\s+(\S+)$/i.exec(rest);
  if (tcpdumpForm?.[1] !== undefined && tcpdumpForm[2] !== undefined && tcpdumpForm[3] !== undefined) {
    operand = tcpdumpForm[1];
    jt = parseTarget(tcpdumpForm[2], line);
    jf = parseTarget(tcpdumpForm[3], line);
  } else {
    // bpf_asm form: `jeq #k, Ltrue[, Lfalse]`.
    const parts = splitOperands(rest);
    if (parts.length < 2 || parts.length > 3 || parts[0] === undefined || parts[1] === undefined) {
      throw new BpfAssemblyError(line, `${op} needs an operand and one or two targets: "${op} #k, Ltrue, Lfalse"`);
    }
    operand = parts[0];
    jt = parseTarget(parts[1], line);
    jf = parts[2] === undefined ? undefined : parseTarget(parts[2], line);
  }
  // jne/jlt/jle exist only in the assembler: they are jeq/jge/jgt with the targets swapped.
  let base = op as JumpOp;
  if (op === 'jne' || op === 'jneq' || op === 'jlt' || op === 'jle') {
    base = op === 'jlt' ? 'jge' : op === 'jle' ? 'jgt' : 'jeq';
    [jt, jf] = [jf, jt];
  }
  const code = BPF_JMP | JUMP_OPS[base];
  const insn = isX(operand) ? instruction(code | BPF_X) : instruction(code | BPF_K, parseImmediate(operand, line));
  const pending: Pending = { insn, line };
  if (jt !== undefined) pending.jt = jt;
  if (jf !== undefined) pending.jf = jf;
  return pending;
}

function parseInstruction(op: string, rest: string, line: number): Pending {
  const operand = rest.trim();
  const none = (code: number): Pending => {
    if (operand !== '') throw new BpfAssemblyError(line, `${op} takes no operand, got "${operand}"`);
    return { insn: instruction(code), line };
  };
  switch (op) {
    case 'ld':
    case 'ldh':
    case 'ldb':
      return { insn: parseLoad(op, operand, line), line };
    case 'ldi':
      return { insn: instruction(BPF_LD | BPF_W | BPF_IMM, parseImmediate(operand, line)), line };
    case 'ldx':
    case 'ldxb':
      return { insn: parseLoadX(op, operand, line), line };
    case 'ldxi':
      return { insn: instruction(BPF_LDX | BPF_W | BPF_IMM, parseImmediate(operand, line)), line };
    case 'st':
    case 'stx': {
      const mem = memoryIndex(operand, line);
      if (mem === undefined)
        throw new BpfAssemblyError(line, `${op} needs a scratch cell such as M[0], got "${operand}"`);
      return { insn: instruction(op === 'st' ? BPF_ST : BPF_STX, mem), line };
    }
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'mod':
    case 'and':
    case 'or':
    case 'xor':
    case 'lsh':
    case 'rsh': {
      const code = BPF_ALU | ALU_OPS[op as AluOp];
      if (isX(operand)) return { insn: instruction(code | BPF_X), line };
      return { insn: instruction(code | BPF_K, parseImmediate(operand, line)), line };
    }
    case 'neg':
      return none(BPF_ALU | BPF_NEG);
    case 'tax':
      return none(BPF_MISC | BPF_TAX);
    case 'txa':
      return none(BPF_MISC | BPF_TXA);
    case 'ret':
      // `tcpdump -d` prints RET A as a bare `ret` (bpf_image), so that reads back as ret a.
      if (operand === '' || isA(operand)) return { insn: instruction(BPF_RET | BPF_A), line };
      if (isX(operand)) return { insn: instruction(BPF_RET | BPF_X), line };
      return { insn: instruction(BPF_RET | BPF_K, parseImmediate(operand, line)), line };
    case 'ja':
    case 'jmp':
      return { insn: instruction(BPF_JMP | BPF_JA), line, ja: parseTarget(operand, line) };
    default:
      if (JUMPS.has(op)) return parseJump(op, operand, line);
      throw new BpfAssemblyError(line, `unknown instruction "${op}"`);
  }
}

/**
 * Assembles a readable program into instructions.
 *
 * Accepts what `tcpdump -d` prints (`(002) jeq #0x800 jt 3 jf 5`, numeric jump targets are
 * absolute instruction numbers) and the syntax of the kernel's bpf_asm: labels (`drop:`),
 * `jeq #k, Ltrue, Lfalse` (a missing false target means the next instruction), `jne`/`jlt`/`jle`,
 * `#k` constants (decimal, 0x hex, 0b binary, 0-prefixed octal, negative values as two's
 * complement), `[k]`, `[x + k]`, `M[i]`, `4*([k]&0xf)`, `#pktlen`/`len`, and ancillary loads either
 * as `ld #proto` (bpf_asm) or `ldh [proto]` (tcpdump). Comments start with `;`, `//` or `#` at the
 * start of a line, or are enclosed in `/* *\/`.
 *
 * The result is not validated: pass it to validate() to apply the kernel's checks.
 * @throws BpfAssemblyError naming the line.
 * @example
 * const program = bpf.assemble(`
 *       ldh [12]
 *       jeq #0x86dd, keep, drop
 * keep: ret #-1
 * drop: ret #0`);
 * bpf.validate(program);
 */
export function assemble(text: string): Instruction[] {
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  const source = text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '));
  source.split('\n').forEach((raw, i) => {
    const line = i + 1;
    let rest = raw.replace(/(;|\/\/).*$/, '').trim();
    if (rest.startsWith('#')) return;
    rest = rest.replace(/^\(\d+\)\s*/, '');
    for (;;) {
      const label = /^([A-Za-z_.$][\w.$]*)\s*:\s*/.exec(rest);
      if (!label?.[1]) break;
      if (labels.has(label[1])) throw new BpfAssemblyError(line, `label "${label[1]}" is defined twice`);
      labels.set(label[1], pending.length);
      rest = rest.slice(label[0].length);
    }
    if (rest === '') return;
    const m = /^([A-Za-z]+)\s*(.*)$/.exec(rest);
    if (!m?.[1]) throw new BpfAssemblyError(line, `cannot read "${rest}"`);
    pending.push(parseInstruction(m[1].toLowerCase(), m[2] ?? '', line));
  });

  return pending.map((p, index) => {
    const resolve = (target: Target | undefined, conditional: boolean): number => {
      if (target === undefined) return 0;
      let to: number;
      if ('label' in target) {
        const found = labels.get(target.label);
        if (found === undefined) throw new BpfAssemblyError(p.line, `unknown label "${target.label}"`);
        to = found;
      } else to = target.index;
      const offset = to - index - 1;
      if (offset < 0) throw new BpfAssemblyError(p.line, `jumps go forward only (target ${to} is not after ${index})`);
      if (to >= pending.length) throw new BpfAssemblyError(p.line, `jump target ${to} is past the end of the program`);
      if (conditional && offset > 255) {
        throw new BpfAssemblyError(p.line, `conditional jump offsets are 8-bit: ${offset} instructions is too far`);
      }
      return offset;
    };
    if (p.ja !== undefined) return { ...p.insn, k: resolve(p.ja, false) };
    if (bpfClass(p.insn.code) === BPF_JMP) return { ...p.insn, jt: resolve(p.jt, true), jf: resolve(p.jf, true) };
    return p.insn;
  });
}

const hex = (k: number): string => `#0x${(k >>> 0).toString(16)}`;
const signed = (k: number): string => String(k | 0);

function absOperand(k: number): string {
  const anc = ancillaryOffset(k);
  return anc === undefined ? `[${signed(k)}]` : `[${ANCILLARY_NAMES[anc]}]`;
}

/** Mnemonic and operand of one instruction, as libpcap's bpf_image() names them. */
function image(insn: Instruction, index: number): [string, string] {
  const k = insn.k;
  switch (insn.code) {
    case BPF_RET | BPF_K:
      return ['ret', `#${signed(k)}`];
    case BPF_RET | BPF_A:
      return ['ret', ''];
    case BPF_LD | BPF_W | BPF_ABS:
      return ['ld', absOperand(k)];
    case BPF_LD | BPF_H | BPF_ABS:
      return ['ldh', absOperand(k)];
    case BPF_LD | BPF_B | BPF_ABS:
      return ['ldb', absOperand(k)];
    case BPF_LD | BPF_W | BPF_LEN:
      return ['ld', '#pktlen'];
    case BPF_LDX | BPF_W | BPF_LEN: // the kernel accepts it too (bpf_image: "ldx #pktlen")
      return ['ldx', '#pktlen'];
    case BPF_LD | BPF_W | BPF_IND:
      return ['ld', `[x + ${signed(k)}]`];
    case BPF_LD | BPF_H | BPF_IND:
      return ['ldh', `[x + ${signed(k)}]`];
    case BPF_LD | BPF_B | BPF_IND:
      return ['ldb', `[x + ${signed(k)}]`];
    case BPF_LD | BPF_IMM:
      return ['ld', hex(k)];
    case BPF_LDX | BPF_IMM:
      return ['ldx', hex(k)];
    case BPF_LDX | BPF_MSH | BPF_B:
      return ['ldxb', `4*([${signed(k)}]&0xf)`];
    case BPF_LD | BPF_MEM:
      return ['ld', `M[${signed(k)}]`];
    case BPF_LDX | BPF_MEM:
      return ['ldx', `M[${signed(k)}]`];
    case BPF_ST:
      return ['st', `M[${signed(k)}]`];
    case BPF_STX:
      return ['stx', `M[${signed(k)}]`];
    case BPF_JMP | BPF_JA:
      return ['ja', String((index + 1 + k) | 0)];
    case BPF_ALU | BPF_NEG:
      return ['neg', ''];
    case BPF_MISC | BPF_TAX:
      return ['tax', ''];
    case BPF_MISC | BPF_TXA:
      return ['txa', ''];
  }
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  const x = (insn.code & BPF_X) !== 0;
  if (cls === BPF_JMP) {
    const name = (Object.keys(JUMP_OPS) as JumpOp[]).find((n) => JUMP_OPS[n] === op);
    if (name && insn.code === (BPF_JMP | op | (x ? BPF_X : BPF_K))) return [name, x ? 'x' : hex(k)];
  }
  if (cls === BPF_ALU) {
    const name = (Object.keys(ALU_OPS) as AluOp[]).find((n) => ALU_OPS[n] === op);
    if (name && insn.code === (BPF_ALU | op | (x ? BPF_X : BPF_K))) {
      if (x) return [name, 'x'];
      // bpf_image prints and/or/xor constants in hex, the others in signed decimal.
      return [name, name === 'and' || name === 'or' || name === 'xor' ? hex(k) : `#${signed(k)}`];
    }
  }
  return ['unimp', `0x${insn.code.toString(16)}`];
}

/**
 * One instruction as `tcpdump -d` prints it, e.g. `(001) jeq      #0x800           jt 2\tjf 5`.
 * @example bpf.disassembleInstruction(bpf.returnConstant(0), 5) // '(005) ret      #0'
 */
export function disassembleInstruction(insn: Instruction, index: number): string {
  const [op, operand] = image(insn, index);
  const n = String(index).padStart(3, '0');
  if (bpfClass(insn.code) === BPF_JMP && bpfOp(insn.code) !== BPF_JA) {
    return `(${n}) ${op.padEnd(8)} ${operand.padEnd(16)} jt ${index + 1 + insn.jt}\tjf ${index + 1 + insn.jf}`;
  }
  return `(${n}) ${op.padEnd(8)} ${operand}`;
}

/**
 * The program exactly as `tcpdump -d` (libpcap's bpf_dump) prints it: one line per
 * instruction, each ending in a newline, jump targets as absolute instruction numbers.
 * @example console.log(bpf.disassemble(bpf.compile('udp port 53'))) // same text as tcpdump -d 'udp port 53'
 */
export function disassemble(program: Program): string {
  return program.map((insn, i) => `${disassembleInstruction(insn, i)}\n`).join('');
}
