import {
  type Clock,
  type ConnectorLogger,
  ConnectorError,
  DeadlineExceededError,
  type IssueResult,
  type OrderResult,
  type PendingOrder,
  VendorApiError,
} from '@certctl/core';
import { pollUntil } from './poll-order.js';

export interface WaitForIssuanceOptions {
  /** Connector id for error messages, e.g. `issuer-digicert`. */
  connector: string;
  orderId: string;
  /** What the order is called in messages: `DigiCert order 1234`. */
  description: string;
  /** One look at the order. */
  check: () => Promise<OrderResult>;
  /** How long `issue` may wait before handing back a pending order (the connector's `issue_wait_seconds`). */
  maxWaitMs: number;
  /** Waits between looks; default 2 s, 5 s, 10 s. */
  schedule?: readonly number[];
  /** Said in the pending order when no look succeeded: `DigiCert order 1234 placed`. */
  placedDetail: string;
  /** Fields for the warning logged when a look fails, e.g. `{ order_id }`. */
  logFields?: Record<string, unknown>;
  signal?: AbortSignal;
  clock: Clock;
  logger: ConnectorLogger;
}

/**
 * After a CA accepted an order: waits briefly for the certificate, then hands back a pending order
 * that the server follows with `getOrder`. The order id is never lost to an error here: a failed or
 * slow look ends in a pending order; only the CA's refusal (failed) and the connector's own errors
 * are thrown.
 */
export async function waitForIssuance(options: WaitForIssuanceOptions): Promise<IssueResult> {
  const { connector, orderId } = options;
  let last: OrderResult | undefined;
  try {
    const done = await pollUntil<OrderResult>({
      check: async () => {
        last = await options.check();
        return last.status === 'pending' ? { done: false } : { done: true, value: last };
      },
      description: options.description,
      connector,
      schedule: options.schedule ?? [2_000, 5_000, 10_000],
      maxWaitMs: options.maxWaitMs,
      signal: options.signal,
      clock: options.clock,
      logger: options.logger,
    });
    if (done.status === 'failed') throw new ConnectorError({ connector, message: done.reason, retryable: false });
    return done;
  } catch (error) {
    const lookFailed = !ConnectorError.isInstance(error) || VendorApiError.isInstance(error);
    if (!lookFailed && !DeadlineExceededError.isInstance(error)) throw error;
    if (lookFailed)
      options.logger.warn(
        { ...options.logFields, error: (error as Error).message },
        `checking ${options.description} failed; it stays pending`,
      );
    const pending: PendingOrder =
      last?.status === 'pending'
        ? last
        : { status: 'pending', orderId, retryAfterSeconds: 60, detail: options.placedDetail };
    return pending;
  }
}
