import { queueGauges } from './queue-gauges.js';
import { defineServerFeature } from '../server-feature.js';
import { rowsByStatusGauge } from '../status-gauge.js';
import { runIssuanceJob } from './issuance-runner.js';
import { reapTimeouts, refreshExpiryStatuses, runRenewalCheck } from './maintenance.js';

/** Runs jobs against issuers, finds certificates due for renewal, and times out stuck work. */
export const issuanceFeature = defineServerFeature({
  name: 'issuance',
  setup: ({ deps, config }) => ({
    executeJob: (job) => runIssuanceJob(deps, job, { agentHttp01TimeoutMs: config.agentHttp01?.timeoutMs ?? 900_000 }),
    loops: [
      {
        name: 'renewalCheck',
        everyMs: config.scheduler.renewalCheckMs,
        atStart: true,
        leaderLockKey: 7_302_001,
        run: () => runRenewalCheck(deps),
      },
      {
        name: 'timeouts',
        everyMs: Math.min(config.scheduler.jobTimeoutCheckMs, config.scheduler.agentHealthMs),
        atStart: true,
        leaderLockKey: 7_302_003,
        run: () => reapTimeouts(deps),
      },
      {
        name: 'expiry',
        everyMs: config.scheduler.shortLivedExpiryMs,
        atStart: true,
        leaderLockKey: 7_302_002,
        run: () => refreshExpiryStatuses(deps),
      },
    ],
    gauges: [rowsByStatusGauge(deps, 'jobs', 'certctl_jobs', 'Jobs by status'), ...queueGauges(deps)],
  }),
});
