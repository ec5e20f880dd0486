import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullJitterDelay, parseRetryAfter } from './retry-backoff.js';

const now = new Date('2025-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120],
    [' 0 ', 0],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('parses %j as %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('fullJitterDelay', () => {
  it('stays within [0, min(max, base * 2^(attempt-1))]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const delay = fullJitterDelay(attempt, 100, 10_000, () => r);
        return delay >= 0 && delay <= Math.min(10_000, 100 * 2 ** (attempt - 1));
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
