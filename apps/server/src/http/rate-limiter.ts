/** Token buckets per caller (API key name, or client address when unauthenticated). */
export interface RateLimiter {
  /** Whether one more request is allowed now; `retryAfterSeconds` when it is not. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function createRateLimiter(options: {
  rps: number;
  burst: number;
  now?: () => number;
  maxBuckets?: number;
}): RateLimiter {
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxBuckets = options.maxBuckets ?? 10_000;
  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        // Idle buckets are full anyway: dropping the oldest bounds memory without changing behaviour much.
        if (buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: options.burst, at: t };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((t - bucket.at) / 1000) * options.rps);
      bucket.at = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / options.rps)) };
    },
  };
}
