import { describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.js';

describe('createFakeClock', () => {
  it('moves time forward by each sleep in auto mode and records the sleeps', async () => {
    const clock = createFakeClock({ start: Date.UTC(2030, 0, 1) });
    await clock.sleep(1_500);
    await clock.sleep(500);
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:02.000Z');
    expect(clock.sleeps).toEqual([1_500, 500]);
  });

  it('wakes sleepers in deadline order when advanced in manual mode', async () => {
    const clock = createFakeClock({ autoAdvance: false });
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`b@${clock.now().getTime() % 100_000}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now().getTime() % 100_000}`));
    await clock.whenSleeping(2);
    await clock.advance(99);
    expect(woke).toEqual([]);
    await clock.advance(500);
    expect(woke).toEqual(['a@100', 'b@300']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('rejects a sleep with the abort reason', async () => {
    const clock = createFakeClock({ autoAdvance: false });
    const controller = new AbortController();
    const pending = clock.sleep(1_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(clock.sleep(1, controller.signal)).rejects.toThrow('stop');
  });

  it('never moves backwards with setNow', async () => {
    const clock = createFakeClock({ start: 10_000 });
    await clock.setNow(5_000);
    expect(clock.now().getTime()).toBe(10_000);
    await clock.setNow(20_000);
    expect(clock.now().getTime()).toBe(20_000);
  });
});
