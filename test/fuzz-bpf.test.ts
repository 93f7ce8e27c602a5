// Property tests (fast-check) of the BPF toolkit with random and mutated input: the assembler,
// the validator, the VM and the tcpdump -dd/-ddd parser fail only with their own error classes,
// never hang (every run is bounded: BPF jumps only forward), and round-trip what they accept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  and,
  assemble,
  BpfAssemblyError,
  BpfValidationError,
  disassemble,
  formatTcpdumpC,
  formatTcpdumpDecimal,
  type Instruction,
  isValid,
  parseTcpdump,
  run,
  TcpdumpParseError,
  udp,
  udpPort,
  validate,
} from '../lib/bpf/index.js';
import { ALLOWED_CODES } from '../lib/bpf/validate.js';
import { onlyDocumentedErrors } from './helpers/fuzz.js';

const runs = { numRuns: 1500 };
const codes = [...ALLOWED_CODES];

/** Instructions biased towards valid ones: allowed opcodes, small jumps, small constants. */
const instruction: fc.Arbitrary<Instruction> = fc.record({
  code: fc.oneof(fc.constantFrom(...codes), fc.integer({ min: 0, max: 0xffff })),
  jt: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })),
  jf: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })),
  k: fc.oneof(
    fc.integer({ min: 0, max: 64 }),
    fc.constantFrom(0xfffff000, 0xfffff004, 0xfffff030, 15, 16, 31, 32),
    fc.integer({ min: 0, max: 0xffffffff }),
  ),
});
const program = fc.array(instruction, { minLength: 0, maxLength: 40 });
/** Valid programs: random ones that pass, with a real filter mixed in. */
const validProgram = fc.oneof(
  program.map((p) => [...p, { code: 0x06, jt: 0, jf: 0, k: 0xffff }]).filter(isValid),
  fc.constant(and(udp(), udpPort(53)).toProgram()),
);

describe('validate', () => {
  it('accepts or throws BpfValidationError, and agrees with isValid', () => {
    fc.assert(
      fc.property(program, (p) => {
        const outcome = onlyDocumentedErrors(() => validate(p), [BpfValidationError]);
        expect(outcome === 'ok').toBe(isValid(p));
      }),
      runs,
    );
  });

  it('rejects malformed instruction objects with typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.anything(), { maxLength: 5 }), (p) => {
        onlyDocumentedErrors(() => validate(p as never), [BpfValidationError, TypeError, RangeError]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('run (the VM)', () => {
  it('ends on every valid program and packet with a uint32', () => {
    fc.assert(
      fc.property(validProgram, fc.uint8Array({ maxLength: 128 }), fc.nat(), (p, packet, mark) => {
        const keep = run(p, packet, { mark, ifIndex: 1, protocol: 0x800 });
        expect(Number.isInteger(keep) && keep >= 0 && keep <= 0xffffffff).toBe(true);
      }),
      runs,
    );
  });

  it('throws BpfValidationError (never anything else) for programs the kernel would refuse', () => {
    fc.assert(
      fc.property(program, fc.uint8Array({ maxLength: 64 }), (p, packet) => {
        onlyDocumentedErrors(() => run(p, packet), [BpfValidationError]);
      }),
      runs,
    );
  });
});

describe('assembler', () => {
  // Fields an instruction does not use (jt/jf of a non-jump, say) are not printed, so the text
  // is the fixed point, and the program assembled from it filters exactly like the original.
  it('assemble(disassemble(p)) prints the same and filters the same as p', () => {
    fc.assert(
      fc.property(validProgram, fc.uint8Array({ maxLength: 96 }), (p, packet) => {
        const text = disassemble(p);
        const back = assemble(text);
        expect(disassemble(back)).toBe(text);
        expect(run(back, packet)).toBe(run(p, packet));
      }),
      { numRuns: 500 },
    );
  });

  it('fails only with BpfAssemblyError on random and mutated text', () => {
    const mutatedText = fc
      .tuple(validProgram, fc.nat(), fc.string({ maxLength: 6 }), fc.nat())
      .map(([p, at, insert, cut]) => {
        const text = disassemble(p);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (cut % 4));
      });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), mutatedText), (text) => {
        onlyDocumentedErrors(() => assemble(text), [BpfAssemblyError, BpfValidationError]);
      }),
      runs,
    );
  });
});

describe('parseTcpdump', () => {
  it('round-trips -dd and -ddd output', () => {
    fc.assert(
      fc.property(
        program.filter((p) => p.length > 0),
        (p) => {
          const plain = p.map(({ code, jt, jf, k }) => ({ code, jt, jf, k }));
          expect(parseTcpdump(formatTcpdumpC(p))).toEqual(plain);
          expect(parseTcpdump(formatTcpdumpDecimal(p))).toEqual(plain);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fails only with TcpdumpParseError on random and mutated text', () => {
    const mutatedText = fc
      .tuple(
        program.filter((p) => p.length > 0),
        fc.boolean(),
        fc.nat(),
        fc.string({ maxLength: 6 }),
        fc.nat(),
      )
      .map(([p, c, at, insert, cut]) => {
        const text = c ? formatTcpdumpC(p) : formatTcpdumpDecimal(p);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (cut % 4));
      });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), mutatedText), (text) => {
        onlyDocumentedErrors(() => parseTcpdump(text), [TcpdumpParseError]);
      }),
      runs,
    );
  });
});
