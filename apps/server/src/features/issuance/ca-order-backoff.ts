import { fullJitterDelay } from '@certctl/connector-utils';

/** First wait after a CA answers "pending" without saying when to ask again. */
export const DEFAULT_CA_POLL_SECONDS = 30;
/** The backoff between two checks of a pending order grows to this at most (a CA's Retry-After may ask for more). */
export const MAX_CA_POLL_MS = 3_600_000;
/** A CA's Retry-After is honoured up to a day; a longer one is taken as a day. */
export const MAX_CA_RETRY_AFTER_MS = 86_400_000;

export interface CaOrderCheckInput {
  /** The job already followed this order (false on the answer to the order itself). */
  following: boolean;
  /** The CA state stored at the previous check, and how many checks saw it. */
  previousState: string | null;
  previousPolls: number;
  /** The CA's answer now. */
  state: string | null;
  retryAfterSeconds: number | undefined;
  now: Date;
  /** The order's deadline: the next check is never later, so a timeout is noticed on time. */
  deadline: Date;
  random?: () => number;
}

/**
 * When to check a pending CA order again: never sooner than the CA asked (its Retry-After, or the
 * connector's suggested interval), growing exponentially with full jitter (the shared
 * `fullJitterDelay`) while the CA state stays the same, capped, and starting over when it changes.
 */
export function nextCaOrderCheck(input: CaOrderCheckInput): { polls: number; at: Date; delayMs: number } {
  const changed = !input.following || input.state !== input.previousState;
  const polls = changed ? 1 : input.previousPolls + 1;
  const askedMs = Math.min(
    Math.max((input.retryAfterSeconds ?? DEFAULT_CA_POLL_SECONDS) * 1000, 1000),
    MAX_CA_RETRY_AFTER_MS,
  );
  const grownMs = fullJitterDelay(polls, askedMs, Math.max(MAX_CA_POLL_MS, askedMs), input.random);
  const delayMs = Math.max(askedMs, grownMs);
  const at = Math.min(input.now.getTime() + delayMs, input.deadline.getTime());
  return { polls, at: new Date(at), delayMs: at - input.now.getTime() };
}
