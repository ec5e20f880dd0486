import { describe, expect, it } from 'vitest';
import { MAX_CA_POLL_MS, nextCaOrderCheck } from './ca-order-backoff.js';

const now = new Date('2026-12-07T12:00:00Z');
const farDeadline = new Date(now.getTime() + 30 * 86_400_000);
const highest = () => 0.999_999;

describe('next check of a pending CA order', () => {
  it('waits exactly what the CA asked right after the order is placed', () => {
    const next = nextCaOrderCheck({
      following: false,
      previousState: null,
      previousPolls: 0,
      state: 'pending approval',
      retryAfterSeconds: 120,
      now,
      deadline: farDeadline,
      random: highest,
    });
    expect(next.polls).toBe(1);
    expect(next.delayMs).toBe(120_000);
  });

  it('grows exponentially while the CA state stays the same, capped at an hour, never below what the CA asked', () => {
    let polls = 1;
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const next = nextCaOrderCheck({
        following: true,
        previousState: 'pending approval',
        previousPolls: polls,
        state: 'pending approval',
        retryAfterSeconds: 30,
        now,
        deadline: farDeadline,
        random: highest,
      });
      polls = next.polls;
      delays.push(next.delayMs);
    }
    expect(delays.slice(0, 4).map((d) => Math.round(d / 1000))).toEqual([60, 120, 240, 480]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_CA_POLL_MS);
    expect(Math.max(...delays)).toBeGreaterThan(MAX_CA_POLL_MS * 0.99);
    const unlucky = nextCaOrderCheck({
      following: true,
      previousState: 'pending approval',
      previousPolls: 9,
      state: 'pending approval',
      retryAfterSeconds: 30,
      now,
      deadline: farDeadline,
      random: () => 0,
    });
    expect(unlucky.delayMs).toBe(30_000);
  });

  it('draws a jittered delay between what the CA asked and the grown ceiling', () => {
    const draws = new Set<number>();
    for (const r of [0.55, 0.7, 0.85, 0.95])
      draws.add(
        nextCaOrderCheck({
          following: true,
          previousState: 's',
          previousPolls: 3,
          state: 's',
          retryAfterSeconds: 10,
          now,
          deadline: farDeadline,
          random: () => r,
        }).delayMs,
      );
    expect(draws.size).toBe(4);
    for (const d of draws) expect(d).toBeGreaterThanOrEqual(10_000);
    for (const d of draws) expect(d).toBeLessThanOrEqual(80_000);
  });

  it('starts over when the CA state changes', () => {
    const next = nextCaOrderCheck({
      following: true,
      previousState: 'pending validation',
      previousPolls: 9,
      state: 'pending approval',
      retryAfterSeconds: 30,
      now,
      deadline: farDeadline,
      random: highest,
    });
    expect(next).toMatchObject({ polls: 1, delayMs: 30_000 });
  });

  it("honours a CA's Retry-After longer than the cap, and never checks after the deadline", () => {
    const rateLimited = nextCaOrderCheck({
      following: true,
      previousState: 's',
      previousPolls: 1,
      state: 's',
      retryAfterSeconds: 7200,
      now,
      deadline: farDeadline,
      random: () => 0,
    });
    expect(rateLimited.delayMs).toBe(7_200_000);
    const deadline = new Date(now.getTime() + 45_000);
    const last = nextCaOrderCheck({
      following: true,
      previousState: 's',
      previousPolls: 5,
      state: 's',
      retryAfterSeconds: 30,
      now,
      deadline,
      random: highest,
    });
    expect(last.at).toEqual(deadline);
  });
});
