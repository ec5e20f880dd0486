/**
 * Property-test helper for parsers of bytes from outside: random bytes and mutations of valid DER
 * (byte flips, truncation, insertion, length-byte damage) must produce MalformedInputError only.
 */
import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';

export const FUZZ_PARAMETERS = { seed: 42, numRuns: 300 } as const;

function mutations(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const sample = fc.integer({ min: 0, max: valid.length - 1 }).map((i) => valid[i]!);
  const flip = fc.tuple(sample, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([v, at, x]) => {
    const out = Uint8Array.from(v);
    out[at % out.length]! ^= x;
    return out;
  });
  const truncate = fc.tuple(sample, fc.nat()).map(([v, at]) => v.slice(0, at % v.length));
  const insert = fc.tuple(sample, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([v, at, bytes]) => {
    const i = at % v.length;
    return Uint8Array.from([...v.subarray(0, i), ...bytes, ...v.subarray(i)]);
  });
  // Lengths are where parsers break: set a byte that is likely a length octet to an extreme value.
  const lengthDamage = fc
    .tuple(sample, fc.nat(), fc.constantFrom(0x00, 0x7f, 0x80, 0x81, 0x84, 0xff))
    .map(([v, at, x]) => {
      const out = Uint8Array.from(v);
      out[1 + (at % (out.length - 1))] = x;
      return out;
    });
  return fc.oneof(flip, truncate, insert, lengthDamage);
}

export function fuzzInputs(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(fc.uint8Array({ maxLength: 600 }), mutations(valid), mutations(valid));
}

function onlyMalformed(error: unknown): void {
  if (!MalformedInputError.isInstance(error)) throw error;
}

/** Asserts that `parse` either succeeds or throws MalformedInputError on every fuzzed input. */
export function fuzzParser(parse: (bytes: Uint8Array) => unknown, valid: readonly Uint8Array[]): void {
  fc.assert(
    fc.property(fuzzInputs(valid), (bytes) => {
      try {
        parse(bytes);
      } catch (error) {
        onlyMalformed(error);
      }
    }),
    FUZZ_PARAMETERS,
  );
}

export async function fuzzAsyncParser(
  parse: (bytes: Uint8Array) => Promise<unknown>,
  valid: readonly Uint8Array[],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fuzzInputs(valid), async (bytes) => {
      try {
        await parse(bytes);
      } catch (error) {
        onlyMalformed(error);
      }
    }),
    FUZZ_PARAMETERS,
  );
}
