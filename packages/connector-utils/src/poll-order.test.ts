import { AuthenticationError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.js';
import { pollUntil } from './poll-order.js';

const notYet = { done: false } as const;

describe('pollUntil', () => {
  it('follows the default schedule of 5 s, 15 s, 45 s, 2 min, then 5 min steps', async () => {
    const clock = createFakeClock();
    let calls = 0;
    const value = await pollUntil({
      description: 'order 1234',
      check: async () => (++calls === 8 ? { done: true, value: 'issued' } : notYet),
      maxWaitMs: 60 * 60_000,
      clock,
      random: () => 0.5,
    });
    expect(value).toBe('issued');
    expect(clock.sleeps).toEqual([5_000, 15_000, 45_000, 120_000, 300_000, 300_000, 300_000]);
  });

  it('keeps every wait within ±20% of its step', async () => {
    for (const r of [0, 0.999999]) {
      const clock = createFakeClock();
      let calls = 0;
      await pollUntil({
        description: 'o',
        check: async () => (++calls === 4 ? { done: true, value: 1 } : notYet),
        maxWaitMs: 3_600_000,
        clock,
        random: () => r,
      });
      const expected = [5_000, 15_000, 45_000];
      clock.sleeps.forEach((ms, i) => {
        expect(ms).toBeGreaterThanOrEqual(expected[i]! * 0.8);
        expect(ms).toBeLessThanOrEqual(expected[i]! * 1.2);
      });
    }
  });

  it('honours the CA Retry-After, capped at the schedule maximum', async () => {
    const clock = createFakeClock();
    const answers = [
      { done: false, retryAfterSeconds: 2 },
      { done: false, retryAfterSeconds: 86_400 },
      { done: true, value: 'x' },
    ] as const;
    let i = 0;
    await pollUntil({ description: 'order 9', check: async () => answers[i++]!, maxWaitMs: 3_600_000, clock });
    expect(clock.sleeps).toEqual([2_000, 300_000]);
  });

  it('throws DeadlineExceededError naming the order once maxWait passes, after a final check at the deadline', async () => {
    const clock = createFakeClock();
    const attempts: number[] = [];
    const error = await pollUntil({
      description: 'order 1234',
      connector: 'issuer-digicert',
      check: async (attempt) => {
        attempts.push(attempt);
        return notYet;
      },
      maxWaitMs: 60_000,
      clock,
      random: () => 0.5,
    }).catch((e: Error) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^\[certctl\] \[issuer-digicert\] order 1234 was not ready after 60 s \(4 checks\)/,
    );
    // 5 s + 15 s + (45 s cut to the 40 s left), then one last look.
    expect(clock.sleeps).toEqual([5_000, 15_000, 40_000]);
    expect(attempts).toEqual([1, 2, 3, 4]);
  });

  it('keeps polling through retryable errors but stops at the first non-retryable one', async () => {
    const clock = createFakeClock();
    let calls = 0;
    const value = await pollUntil({
      description: 'order 5',
      check: async () => {
        calls++;
        if (calls === 1) throw new VendorApiError({ status: 503, message: 'unavailable' });
        return { done: true, value: calls };
      },
      maxWaitMs: 600_000,
      clock,
    });
    expect(value).toBe(2);
    await expect(
      pollUntil({
        description: 'order 6',
        check: async () => Promise.reject(new AuthenticationError({ message: 'bad key' })),
        maxWaitMs: 600_000,
        clock,
      }),
    ).rejects.toThrow('bad key');
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = createFakeClock({ autoAdvance: false });
    const controller = new AbortController();
    const pending = pollUntil({
      description: 'order 7',
      check: async () => notYet,
      maxWaitMs: 3_600_000,
      clock,
      signal: controller.signal,
    }).catch((e: Error) => e);
    await clock.whenSleeping();
    expect(clock.pendingSleeps).toBe(1);
    controller.abort(new Error('shutdown'));
    const error = await pending;
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('waiting for order 7 was aborted');
  });

  it('wakes on the manual fake clock exactly when time is advanced', async () => {
    const clock = createFakeClock({ autoAdvance: false });
    let calls = 0;
    const pending = pollUntil({
      description: 'o',
      check: async () => (++calls === 3 ? { done: true, value: 'ok' } : notYet),
      maxWaitMs: 3_600_000,
      clock,
      jitter: 0,
    });
    await clock.whenSleeping();
    await clock.advance(4_999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    await clock.whenSleeping();
    await clock.advance(15_000);
    await expect(pending).resolves.toBe('ok');
  });
});
