import type { Clock } from '@certctl/core';

/** Node fires a timer longer than this at once (with a warning), so long sleeps wait in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Sleeps with a real timer; rejects with the signal's reason when it aborts first. Any length
 * works (a 30-day wait for a renewal window is normal); NaN sleeps 0, Infinity until aborted.
 */
export function sleepWithSignal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const deadline = Date.now() + (Number.isNaN(ms) ? 0 : Math.max(0, ms));
    let timer: ReturnType<typeof setTimeout>;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const wait = (step: number) => {
      timer = setTimeout(() => {
        const remaining = deadline - Date.now();
        if (remaining > 0) return wait(Math.min(remaining, MAX_TIMER_MS));
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, step);
    };
    wait(Math.min(deadline - Date.now(), MAX_TIMER_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wall clock: `now()` is `new Date()`, `sleep` uses a real timer. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: sleepWithSignal,
};
