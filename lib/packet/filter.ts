// Classic BPF programs on packet sockets: checking them before the kernel sees them, and the
// socket options that attach, detach and lock them (socket(7), Documentation/networking/filter.rst).
import { fromBytes, type Instruction, type Program, toBytes } from '../bpf/instruction.js';
import { validate } from '../bpf/validate.js';
import { explain, hasCode, invalidArgType } from '../errors.js';
import { constants, native } from '../native.js';

/** A classic BPF program: `{ code, jt, jf, k }` instructions, as lib/bpf builds them or `tcpdump -dd` prints them. */
export type FilterProgram = Program;

/** `ret #0`: keeps 0 bytes of every packet, i.e. drops everything. */
export const DROP_ALL: FilterProgram = Object.freeze([Object.freeze({ code: 0x06, jt: 0, jf: 0, k: 0 })]);

/**
 * Checks a program the way the kernel's sk_chk_filter() will (lib/bpf validate()), so a bad
 * program fails with a BpfValidationError naming the instruction instead of a bare EINVAL.
 */
export function checkProgram(program: unknown, name = 'filter'): Instruction[] {
  if (!Array.isArray(program)) throw invalidArgType(name, 'an array of { code, jt, jf, k } instructions', program);
  const copy: Instruction[] = program.map((insn: unknown, i) => {
    if (insn === null || typeof insn !== 'object') {
      throw invalidArgType(`${name}[${i}]`, 'an object { code, jt, jf, k }', insn);
    }
    const { code, jt, jf, k } = insn as Record<string, unknown>;
    for (const [field, value] of [
      ['code', code],
      ['jt', jt],
      ['jf', jf],
      ['k', k],
    ] as const) {
      if (typeof value !== 'number') throw invalidArgType(`${name}[${i}].${field}`, 'of type number', value);
    }
    return { code: code as number, jt: jt as number, jf: jf as number, k: k as number };
  });
  validate(copy);
  return copy;
}

/** SO_ATTACH_FILTER: replaces any program already attached, atomically. */
export function attachProgram(fd: number, program: FilterProgram): void {
  try {
    native.attachFilter(fd, toBytes(program));
  } catch (error) {
    throw hasCode(error, 'EPERM')
      ? explain(error, 'the filter is locked (SO_LOCK_FILTER) and cannot be changed')
      : error;
  }
}

/** SO_DETACH_FILTER; false when no program was attached (the kernel's ENOENT). */
export function detachProgram(fd: number): boolean {
  try {
    native.setsockopt(fd, constants.SOL_SOCKET, constants.SO_DETACH_FILTER, 0);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return false;
    throw hasCode(error, 'EPERM')
      ? explain(error, 'the filter is locked (SO_LOCK_FILTER) and cannot be removed')
      : error;
  }
}

/** Attaches `program`, or detaches whatever is attached when it is null. */
export function installProgram(fd: number, program: FilterProgram | null): void {
  if (program === null) detachProgram(fd);
  else attachProgram(fd, program);
}

/** SO_LOCK_FILTER: from now on attach, detach and unlock fail with EPERM, for the socket's life. */
export function lockProgram(fd: number): void {
  native.setsockopt(fd, constants.SOL_SOCKET, constants.SO_LOCK_FILTER, 1);
}

/** SO_GET_FILTER: the program the kernel holds, or null. */
export function readProgram(fd: number): Instruction[] | null {
  const bytes = native.getFilter(fd);
  if (bytes === null) return null;
  return fromBytes(bytes);
}
