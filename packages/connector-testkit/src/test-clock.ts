import { createFakeClock, type FakeClock } from '@certctl/connector-utils';

export { createFakeClock, type FakeClock, type FakeClockOptions } from '@certctl/connector-utils';

export type TestClock = FakeClock;

/**
 * A fake clock whose `sleep` returns at once and moves time forward, so polling and backoff run
 * instantly. It starts at the real current time, so certificates issued "now" are valid for real verifiers.
 */
export function createTestClock(start: Date | number = Date.now()): TestClock {
  return createFakeClock({ start, autoAdvance: true });
}
