import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a client's challengePassword with the profile's static one. */
export function staticChallengeMatches(expected: string | undefined, given: string | undefined): boolean {
  if (!expected || given === undefined) return false;
  // Hashing first makes the comparison independent of both lengths.
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b);
}
