import type { ScheduledLoop } from '../../scheduler/scheduler.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { runScheduledDigest } from './digest.js';
import { enqueueExpiryAlerts } from './expiry-alerts.js';
import { dispatchNotifications } from './notification-dispatch.js';

/** Alerting loops, each under its own advisory lock; the outbox's SKIP LOCKED leases keep send-now passes apart too. */
export function notificationLoops(deps: ServiceDeps, intervals: { renewalCheckMs: number }): ScheduledLoop[] {
  const settings = deps.settings.notifications;
  return [
    {
      name: 'expiryAlerts',
      // Thresholds are whole days: checking with the renewal check is often enough, and at start after downtime.
      everyMs: Math.min(intervals.renewalCheckMs, 3_600_000),
      atStart: true,
      leaderLockKey: 7_302_062,
      run: () => enqueueExpiryAlerts(deps),
    },
    {
      name: 'notifications',
      everyMs: settings.processIntervalMs,
      atStart: true,
      leaderLockKey: 7_302_061,
      run: () => dispatchNotifications(deps),
    },
    {
      name: 'digest',
      // The digest waits for its first interval (a restart must not mail everyone); its dedup key is the interval.
      ...(settings.digest.enabled && { everyMs: settings.digest.intervalMs }),
      leaderLockKey: 7_302_063,
      run: () => runScheduledDigest(deps),
    },
  ];
}
