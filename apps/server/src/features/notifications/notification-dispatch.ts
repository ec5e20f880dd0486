import { fullJitterDelay } from '@certctl/connector-utils';
import { ConnectorError, VendorApiError } from '@certctl/core';
import { InstanceNotFoundError } from '../../connectors/instance-runtimes.js';
import type { OutboxRow } from '../../db/tables.js';
import { claimOutbox, notificationOf, type Settlement, settleOutbox } from './notification-outbox.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

export interface DispatchResult {
  sent: number;
  failed: number;
  dead: number;
}

const BATCH = 100;
const MAX_BACKOFF_MS = 3_600_000;

/** How long the vendor asked us to wait (`Retry-After` on a 429 or 503), at most an hour; 0 when it did not say. */
export function vendorRetryAfterMs(error: unknown): number {
  if (!VendorApiError.isInstance(error) || !error.retryAfterSeconds || error.retryAfterSeconds <= 0) return 0;
  return Math.min(error.retryAfterSeconds * 1000, MAX_BACKOFF_MS);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Only the vendor's transient answers (5xx, 429, timeouts, network) are worth another try. */
function isRetryable(error: unknown): boolean {
  return ConnectorError.isInstance(error) ? error.retryable : false;
}

async function deliver(deps: ServiceDeps, row: OutboxRow): Promise<Settlement> {
  const notifier = await deps.db
    .selectFrom('notifiers')
    .select(['id', 'enabled'])
    .where('id', '=', row.notifierId)
    .executeTakeFirst();
  if (!notifier) return { outcome: 'dead', error: `notifier ${row.notifierId} no longer exists` };
  if (!notifier.enabled) return { outcome: 'dead', error: `notifier ${row.notifierId} is disabled` };
  const timeout = AbortSignal.timeout(deps.settings.notifications.sendTimeoutMs);
  try {
    const runtime = await deps.notifiers.get(row.notifierId);
    if (row.action === 'resolve') {
      if (!(await runtime.supports('resolve')))
        return { outcome: 'dead', error: `notifier ${row.notifierId} cannot resolve incidents` };
      await runtime.resolve(notificationOf(row).dedupKey, { signal: timeout });
      return { outcome: 'sent', detail: 'resolved' };
    }
    const result = await runtime.send({ ...notificationOf(row), signal: timeout });
    return { outcome: 'sent', providerId: result.providerId, detail: result.detail };
  } catch (error) {
    if (error instanceof InstanceNotFoundError) return { outcome: 'dead', error: errorText(error) };
    const attempt = row.attempts + 1;
    if (isRetryable(error) && attempt < row.maxAttempts) {
      // The backoff, or longer when the vendor said how long to wait.
      const delay = Math.max(
        fullJitterDelay(attempt, deps.settings.notifications.retryBaseMs, MAX_BACKOFF_MS),
        vendorRetryAfterMs(error),
      );
      return { outcome: 'failed', error: errorText(error), retryAt: new Date(deps.now().getTime() + delay) };
    }
    const reason = isRetryable(error) ? `gave up after ${attempt} attempt(s): ` : 'not retryable: ';
    return { outcome: 'dead', error: reason + errorText(error) };
  }
}

/**
 * Sends what is due in the outbox: claims rows (SKIP LOCKED leases), delivers each through its
 * notifier concurrently (a slow or failing channel delays nobody else; each send has a deadline),
 * and settles it as sent, failed (retry after backoff) or dead. `onlyIds` limits a pass to given
 * rows (send-now).
 */
export async function dispatchNotifications(
  deps: ServiceDeps,
  options: { onlyIds?: readonly string[] } = {},
): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, failed: 0, dead: 0 };
  const leaseMs = deps.settings.notifications.sendTimeoutMs * 2 + 10_000;
  for (;;) {
    const rows = await claimOutbox(deps.db, deps.replicaId, deps.now(), leaseMs, BATCH, options.onlyIds);
    if (rows.length === 0) return result;
    await Promise.all(
      rows.map(async (row) => {
        const settlement = await deliver(deps, row);
        if (settlement.outcome === 'sent') await deps.faultHook?.('notification.after-send', row.id);
        const kept = await settleOutbox(deps.db, row, deps.replicaId, deps.now(), settlement);
        if (!kept) return;
        result[settlement.outcome]++;
        deps.metrics.notificationsTotal.inc({
          channel: row.channel,
          event: row.event,
          result: settlement.outcome === 'dead' ? 'dead_lettered' : settlement.outcome,
        });
        const log = {
          notification_id: row.id,
          notifier_id: row.notifierId,
          channel: row.channel,
          event: row.event,
          attempt: row.attempts + 1,
        };
        if (settlement.outcome === 'sent') deps.logger.info(log, 'notification sent');
        else
          deps.logger.warn(
            { ...log, error: settlement.error },
            settlement.outcome === 'dead' ? 'notification dead-lettered' : 'notification failed; will retry',
          );
      }),
    );
    if (rows.length < BATCH) return result;
  }
}
