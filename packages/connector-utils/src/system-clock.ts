import type { Clock } from '@certctl/core';

/** Sleeps with a real timer; rejects with the signal's reason when it aborts first. */
export function sleepWithSignal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wall clock: `now()` is `new Date()`, `sleep` uses a real timer. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: sleepWithSignal,
};
