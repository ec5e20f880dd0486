import { runScheduledDigest } from './digest.js';
import { enqueueExpiryAlerts } from './expiry-alerts.js';
import { dispatchNotifications } from './notification-dispatch.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { LOOP_LOCK_KEYS, withLeaderLock } from '../../scheduler/leader-lock.js';

export type NotificationLoopName = 'expiryAlerts' | 'notifications' | 'digest';

/** Alerting loops, each under its own advisory lock; the outbox's SKIP LOCKED leases keep send-now passes apart too. */
export function notificationLoops(deps: ServiceDeps): Record<NotificationLoopName, () => Promise<unknown>> {
  return {
    expiryAlerts: () => withLeaderLock(deps, LOOP_LOCK_KEYS.expiryAlerts, () => enqueueExpiryAlerts(deps)),
    notifications: () => withLeaderLock(deps, LOOP_LOCK_KEYS.notifications, () => dispatchNotifications(deps)),
    digest: () => withLeaderLock(deps, LOOP_LOCK_KEYS.digest, () => runScheduledDigest(deps)),
  };
}

export function startNotificationLoops(
  deps: ServiceDeps,
  intervals: { renewalCheckMs: number },
  every: (name: NotificationLoopName, ms: number, atStart: boolean) => void,
): void {
  const settings = deps.settings.notifications;
  // Thresholds are whole days: checking with the renewal check is often enough, and at start after downtime.
  every('expiryAlerts', Math.min(intervals.renewalCheckMs, 3_600_000), true);
  every('notifications', settings.processIntervalMs, true);
  // The digest waits for its first interval (a restart must not mail everyone); its dedup key is the interval.
  if (settings.digest.enabled) every('digest', settings.digest.intervalMs, false);
}
