import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleepWithSignal } from './system-clock.js';

const DAY = 86_400_000;

describe('sleepWithSignal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const settled = (promise: Promise<void>) => {
    const state = { done: false };
    void promise.then(() => {
      state.done = true;
    });
    return state;
  };

  it('waits the whole of a sleep longer than the 24.8-day timer limit', async () => {
    const state = settled(sleepWithSignal(30 * DAY));
    await vi.advanceTimersByTimeAsync(25 * DAY);
    expect(state.done).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * DAY - 1);
    expect(state.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.done).toBe(true);
  });

  it('resolves short and zero sleeps on time, and treats NaN as zero', async () => {
    const short = settled(sleepWithSignal(50));
    const zero = settled(sleepWithSignal(0));
    const nan = settled(sleepWithSignal(Number.NaN));
    await vi.advanceTimersByTimeAsync(0);
    expect([zero.done, nan.done, short.done]).toEqual([true, true, false]);
    await vi.advanceTimersByTimeAsync(50);
    expect(short.done).toBe(true);
  });

  it('rejects with the abort reason during a long sleep, and at once when already aborted', async () => {
    const controller = new AbortController();
    const sleeping = sleepWithSignal(Number.POSITIVE_INFINITY, controller.signal);
    await vi.advanceTimersByTimeAsync(60 * DAY);
    controller.abort(new Error('stopping'));
    await expect(sleeping).rejects.toThrow('stopping');
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleepWithSignal(10, controller.signal)).rejects.toThrow('stopping');
  });
});
