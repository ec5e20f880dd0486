import type { Clock } from '@certctl/core';
import * as connectorUtils from '@certctl/connector-utils';

export interface TestClock extends Clock {
  /** Every duration passed to `sleep`, in call order. */
  readonly sleeps: readonly number[];
  /** Moves time forward by `ms`. */
  advance(ms: number): Promise<void>;
}

type FakeClockFactory = (options: { start?: Date | number; autoAdvance?: boolean }) => TestClock;

/**
 * A clock whose `sleep` returns at once and moves time forward, so polling and backoff run instantly.
 * It starts at the real current time, so certificates issued "now" are valid for real verifiers.
 * Uses connector-utils' fake clock when that package exports one.
 */
export function createTestClock(start: Date | number = Date.now()): TestClock {
  const shared = (connectorUtils as Record<string, unknown>).createFakeClock as FakeClockFactory | undefined;
  if (typeof shared === 'function') return shared({ start, autoAdvance: true });
  let nowMs = new Date(start).getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(nowMs),
    sleep(ms, signal) {
      sleeps.push(Math.max(0, ms));
      if (signal?.aborted) return Promise.reject(signal.reason);
      nowMs += Math.max(0, ms);
      return Promise.resolve();
    },
    get sleeps() {
      return sleeps;
    },
    async advance(ms) {
      nowMs += Math.max(0, ms);
    },
  };
}
