// Reads the compiled filters `tcpdump -dd` and `tcpdump -ddd` print (libpcap's bpf_dump()).
import type { Instruction } from './instruction.js';

/**
 * Thrown when text is neither `tcpdump -dd` nor `tcpdump -ddd` output; the message names the line.
 * @example
 * try {
 *   bpf.parseTcpdump('{ 0x6, 0, 0, 0x00040000 },\nnot bpf');
 * } catch (error) {
 *   if (error instanceof bpf.TcpdumpParseError) console.log(error.line); // 2
 * }
 */
export class TcpdumpParseError extends SyntaxError {
  /** Always 'ERR_BPF_TCPDUMP_PARSE', to tell this error apart without instanceof. */
  readonly code = 'ERR_BPF_TCPDUMP_PARSE';
  /** 1-based line number in the text. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'TcpdumpParseError';
    this.line = line;
  }
}

const C_STRUCT = /^\{\s*(0x[0-9a-f]+|\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(0x[0-9a-f]+|\d+)\s*\}\s*,?$/i;
const DECIMAL = /^(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/;

function field(text: string, max: number, name: string, line: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new TcpdumpParseError(line, `${name} ${text} is out of range (0..${max})`);
  }
  return value;
}

function toInstruction(m: RegExpExecArray, line: number): Instruction {
  return {
    code: field(m[1] as string, 0xffff, 'code', line),
    jt: field(m[2] as string, 0xff, 'jt', line),
    jf: field(m[3] as string, 0xff, 'jf', line),
    k: field(m[4] as string, 0xffffffff, 'k', line),
  };
}

/**
 * Parses a compiled filter as tcpdump prints it:
 * - `tcpdump -dd`: C initialiser lines `{ 0x28, 0, 0, 0x0000000c },`;
 * - `tcpdump -ddd`: the instruction count on the first line, then `code jt jf k` in decimal
 *   (the format `iptables -m bpf --bytecode` and `ip link ... bpf bytecode` also use, there with
 *   commas between instructions: `4,40 0 0 12,...` is accepted too).
 *
 * Blank lines are ignored; in -ddd input the count must match.
 * @throws TcpdumpParseError naming the line.
 * @example
 * // execFileSync('tcpdump', ['-ddd', 'udp port 53'], { encoding: 'utf8' }) gives text like this:
 * const program = bpf.parseTcpdump('1\n6 0 0 262144\n');
 * PacketSocket.create({ interface: 'eth0', filter: program });
 */
export function parseTcpdump(text: string): Instruction[] {
  let source = text;
  // The one-line comma form (`4,40 0 0 12,21 0 1 2048,...`).
  if (!source.includes('\n') && /^\s*\d+\s*,/.test(source)) source = source.split(',').join('\n');
  const lines = source
    .split('\n')
    .map((l, i) => ({ text: l.trim(), line: i + 1 }))
    .filter((l) => l.text !== '');
  if (lines.length === 0) throw new TcpdumpParseError(1, 'no instructions');
  const first = lines[0] as { text: string; line: number };
  if (first.text.startsWith('{')) {
    return lines.map(({ text: l, line }) => {
      const m = C_STRUCT.exec(l);
      if (!m) throw new TcpdumpParseError(line, `expected "{ code, jt, jf, k }," (tcpdump -dd), got "${l}"`);
      return toInstruction(m, line);
    });
  }
  if (!/^\d+$/.test(first.text)) {
    throw new TcpdumpParseError(first.line, `expected tcpdump -dd or -ddd output, got "${first.text}"`);
  }
  const count = Number(first.text);
  const body = lines.slice(1);
  if (body.length !== count) {
    throw new TcpdumpParseError(first.line, `the count says ${count} instructions but ${body.length} follow`);
  }
  return body.map(({ text: l, line }) => {
    const m = DECIMAL.exec(l);
    if (!m) throw new TcpdumpParseError(line, `expected "code jt jf k" in decimal (tcpdump -ddd), got "${l}"`);
    return toInstruction(m, line);
  });
}

/**
 * The program in `tcpdump -dd` format (one C initialiser per line, as libpcap prints it).
 * @example bpf.formatTcpdumpC([bpf.returnConstant(0)]) // '{ 0x6, 0, 0, 0x00000000 },\n'
 */
export function formatTcpdumpC(program: readonly Instruction[]): string {
  return program
    .map((i) => `{ 0x${i.code.toString(16)}, ${i.jt}, ${i.jf}, 0x${(i.k >>> 0).toString(16).padStart(8, '0')} },\n`)
    .join('');
}

/**
 * The program in `tcpdump -ddd` format: the count, then `code jt jf k` in decimal.
 * @example bpf.formatTcpdumpDecimal([bpf.returnConstant(0)]) // '1\n6 0 0 0\n'
 */
export function formatTcpdumpDecimal(program: readonly Instruction[]): string {
  return `${program.length}\n${program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}\n`).join('')}`;
}
