import { type Clock, type ConnectorLogger, DeadlineExceededError, isRetryable } from '@certctl/core';

export type PollCheckResult<T> = { done: true; value: T } | { done: false; retryAfterSeconds?: number };

export interface PollOptions<T> {
  /** One look at the order; `attempt` counts from 1. A retryable error counts as "not yet". */
  check: (attempt: number) => Promise<PollCheckResult<T>>;
  /** What is awaited, for messages: `order 1234`. */
  description: string;
  /** Connector id for error messages. */
  connector?: string;
  /** Waits between checks in ms; the last one repeats. Default 5 s, 15 s, 45 s, 2 min, 5 min. */
  schedule?: readonly number[];
  /** Relative jitter applied to each scheduled wait; default 0.2 (±20%). */
  jitter?: number;
  /** Longest wait a CA's Retry-After may ask for; default the schedule's last step. */
  maxRetryAfterMs?: number;
  /** Give up after this long. */
  maxWaitMs: number;
  signal?: AbortSignal;
  clock: Clock;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  logger?: ConnectorLogger;
}

export const DEFAULT_POLL_SCHEDULE_MS: readonly number[] = [5_000, 15_000, 45_000, 120_000, 300_000];

/** Polls `check` on a bounded, jittered schedule until it reports done; throws DeadlineExceededError after maxWaitMs. */
export async function pollUntil<T>(options: PollOptions<T>): Promise<T> {
  const schedule = options.schedule && options.schedule.length > 0 ? options.schedule : DEFAULT_POLL_SCHEDULE_MS;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? schedule[schedule.length - 1]!;
  const { clock, connector, description } = options;
  const deadline = clock.now().getTime() + options.maxWaitMs;
  let lastError: unknown;

  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) {
      throw new DeadlineExceededError({
        connector,
        message: `waiting for ${description} was aborted`,
        cause: options.signal.reason,
      });
    }
    let retryAfterSeconds: number | undefined;
    try {
      const result = await options.check(attempt);
      if (result.done) return result.value;
      retryAfterSeconds = result.retryAfterSeconds;
      lastError = undefined;
    } catch (error) {
      if (!isRetryable(error)) throw error;
      lastError = error;
      options.logger?.warn({ attempt, error: (error as Error).message }, `checking ${description} failed; will retry`);
    }

    const remaining = deadline - clock.now().getTime();
    if (remaining <= 0) {
      const waited = formatDuration(options.maxWaitMs);
      throw new DeadlineExceededError({
        connector,
        cause: lastError,
        message: `${description} was not ready after ${waited} (${attempt} checks); the CA may still complete it: look it up again later or raise the poll wait limit`,
      });
    }
    const step = schedule[Math.min(attempt - 1, schedule.length - 1)]!;
    const planned =
      retryAfterSeconds !== undefined
        ? Math.min(retryAfterSeconds * 1000, maxRetryAfterMs)
        : Math.round(step * (1 + jitter * (2 * random() - 1)));
    try {
      await clock.sleep(Math.max(0, Math.min(planned, remaining)), options.signal);
    } catch (reason) {
      throw new DeadlineExceededError({ connector, message: `waiting for ${description} was aborted`, cause: reason });
    }
  }
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
