// Shared by test/fuzz-*.test.ts: what "fails only with a documented error" means, and mutations.
import fc from 'fast-check';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Calls fn; returns 'ok' or the error's class name. Anything thrown must be one of `allowed`, and
 * a TypeError/RangeError must carry a Node-style ERR_* code (our argument errors always do).
 * Any other throw fails the property with the error itself.
 */
export function onlyDocumentedErrors(fn: () => unknown, allowed: ErrorClass[]): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (!allowed.some((cls) => error instanceof cls)) throw error;
    if (
      (error instanceof TypeError || error instanceof RangeError) &&
      allowed.every((c) => c === TypeError || c === RangeError)
    ) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code !== 'string' || !code.startsWith('ERR_')) throw error;
    }
    return (error as Error).constructor.name;
  }
}

/** Byte-level mutations of a valid input: flips, truncation, extension, splices. */
export function mutated(valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 32 }),
    )
    .map(([base, flips, cut, tail]) => {
      const out = Uint8Array.from(base);
      for (const [at, value] of flips) if (out.length) out[at % out.length] = value;
      const cutAt = cut === undefined ? out.length : cut % (out.length + 1);
      const result = new Uint8Array(cutAt + tail.length);
      result.set(out.subarray(0, cutAt));
      result.set(tail, cutAt);
      return result;
    });
}

/** Any JS value a caller might pass by mistake. */
export const anything = fc.oneof(
  fc.anything(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, -1, 0.5, 1e300, '', 'lo', [], {}, null, undefined),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.bigInt(),
);
