/**
 * Counts events per key in a rolling window (the per-(CN, IP) enrollment cap and the failed-Basic
 * limiter). In-process only: with several replicas each keeps its own counts (documented).
 */
export interface SlidingWindowLimiter {
  /** Whether one more event fits for this key now (does not record it). */
  allows(key: string): boolean;
  record(key: string): void;
}

export function createSlidingWindowLimiter(options: {
  limit: number;
  windowMs: number;
  maxKeys?: number;
  now?: () => number;
}): SlidingWindowLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 50_000;
  const events = new Map<string, number[]>();
  const live = (key: string): number[] => {
    const since = now() - options.windowMs;
    const kept = (events.get(key) ?? []).filter((t) => t > since);
    if (kept.length === 0) events.delete(key);
    else events.set(key, kept);
    return kept;
  };
  return {
    allows: (key) => options.limit <= 0 || live(key).length < options.limit,
    record(key) {
      if (options.limit <= 0) return;
      const kept = live(key);
      if (!events.has(key) && events.size >= maxKeys) events.delete(events.keys().next().value as string);
      events.set(key, [...kept, now()]);
    },
  };
}
