import type { Clock } from '@certctl/core';

export interface FakeClockOptions {
  /** Starting time; defaults to 2025-01-01T00:00:00Z so tests are reproducible. */
  start?: Date | number;
  /**
   * When true (the default), `sleep(ms)` moves the clock forward by `ms` and resolves at once, so
   * backoff and polling code runs instantly. When false, sleepers wait for `advance()`.
   */
  autoAdvance?: boolean;
}

export interface FakeClock extends Clock {
  /** Every duration passed to `sleep`, in call order (for asserting backoff schedules). */
  readonly sleeps: readonly number[];
  /** Number of sleepers still waiting (manual mode). */
  readonly pendingSleeps: number;
  /** Moves time forward by `ms`, waking every sleeper whose deadline has passed, in deadline order. */
  advance(ms: number): Promise<void>;
  /** Resolves once at least `count` sleepers are waiting (manual mode), so a test advances only after code went to sleep. */
  whenSleeping(count?: number): Promise<void>;
  /** Jumps to an absolute time (never backwards) and wakes due sleepers. */
  setNow(time: Date | number): Promise<void>;
}

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** A deterministic clock for tests: time only moves when code sleeps (auto mode) or the test advances it. */
export function createFakeClock(options: FakeClockOptions = {}): FakeClock {
  let nowMs = options.start === undefined ? Date.UTC(2025, 0, 1) : new Date(options.start).getTime();
  const autoAdvance = options.autoAdvance ?? true;
  const sleeps: number[] = [];
  let sleepers: Sleeper[] = [];
  let watchers: { count: number; resolve: () => void }[] = [];
  const notifyWatchers = () => {
    const ready = watchers.filter((w) => sleepers.length >= w.count);
    watchers = watchers.filter((w) => sleepers.length < w.count);
    for (const w of ready) w.resolve();
  };

  const wakeDue = async (): Promise<void> => {
    const due = sleepers.filter((s) => s.wakeAt <= nowMs).sort((a, b) => a.wakeAt - b.wakeAt);
    sleepers = sleepers.filter((s) => s.wakeAt > nowMs);
    for (const sleeper of due) {
      sleeper.signal?.removeEventListener('abort', sleeper.onAbort);
      sleeper.resolve();
      // Let the woken code run (and maybe sleep again) before waking the next one.
      await flushMicrotasks();
    }
  };

  const advance = async (ms: number): Promise<void> => {
    const target = nowMs + Math.max(0, ms);
    // Step through sleepers one deadline at a time so code that sleeps again observes the right time.
    for (;;) {
      const next = sleepers.filter((s) => s.wakeAt <= target).sort((a, b) => a.wakeAt - b.wakeAt)[0];
      if (!next) break;
      nowMs = Math.max(nowMs, next.wakeAt);
      await wakeDue();
    }
    nowMs = target;
    await flushMicrotasks();
  };

  return {
    now: () => new Date(nowMs),
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      const duration = Math.max(0, ms);
      sleeps.push(duration);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (autoAdvance) {
        nowMs += duration;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const sleeper: Sleeper = {
          wakeAt: nowMs + duration,
          resolve,
          reject,
          signal,
          onAbort: () => {
            sleepers = sleepers.filter((s) => s !== sleeper);
            reject(signal?.reason);
          },
        };
        signal?.addEventListener('abort', sleeper.onAbort, { once: true });
        sleepers.push(sleeper);
        notifyWatchers();
      });
    },
    get sleeps() {
      return sleeps;
    },
    get pendingSleeps() {
      return sleepers.length;
    },
    advance,
    whenSleeping(count = 1): Promise<void> {
      if (sleepers.length >= count) return Promise.resolve();
      return new Promise((resolve) => watchers.push({ count, resolve }));
    },
    async setNow(time: Date | number): Promise<void> {
      const target = new Date(time).getTime();
      if (target > nowMs) await advance(target - nowMs);
    },
  };
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
