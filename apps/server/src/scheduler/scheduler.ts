import { crlIssuerIds, currentCrl } from '../features/crl-ocsp/crl.js';
import { reapTimeouts, refreshExpiryStatuses, runRenewalCheck } from '../features/issuance/maintenance.js';
import type { ServiceDeps } from '../shared/service-deps.js';
import type { JobRunner } from './job-runner.js';
import { LOOP_LOCK_KEYS, withLeaderLock } from './leader-lock.js';
import {
  type NotificationLoopName,
  notificationLoops,
  startNotificationLoops,
} from '../features/notifications/notification-loops.js';

export interface SchedulerIntervals {
  renewalCheckMs: number;
  jobProcessorMs: number;
  jobTimeoutCheckMs: number;
  agentHealthMs: number;
  shortLivedExpiryMs: number;
  crlGenerationMs: number;
}

export interface Scheduler {
  start(): void;
  /** Stops the timers and waits for runs in progress. */
  stop(): Promise<void>;
  /** Runs one loop now (tests, admin). */
  runLoop(name: LoopName): Promise<void>;
}

export type LoopName = 'renewalCheck' | 'jobs' | 'timeouts' | 'expiry' | 'crl' | NotificationLoopName;

/**
 * The periodic loops. Each tick is skipped while the previous run of the same loop is still going;
 * loops that change shared state run under a PostgreSQL advisory lock so only one replica runs them
 * at a time. Job execution is not leader-bound: replicas share it through SKIP LOCKED claims.
 */
export function createScheduler(deps: ServiceDeps, runner: JobRunner, intervals: SchedulerIntervals): Scheduler {
  const timers: NodeJS.Timeout[] = [];
  const running = new Map<LoopName, Promise<void>>();

  const loops: Record<LoopName, () => Promise<unknown>> = {
    renewalCheck: () => withLeaderLock(deps, LOOP_LOCK_KEYS.renewalCheck, () => runRenewalCheck(deps)),
    jobs: () => runner.runOnce(),
    timeouts: () => withLeaderLock(deps, LOOP_LOCK_KEYS.timeouts, () => reapTimeouts(deps)),
    expiry: () => withLeaderLock(deps, LOOP_LOCK_KEYS.expiry, () => refreshExpiryStatuses(deps)),
    crl: () =>
      withLeaderLock(deps, LOOP_LOCK_KEYS.crl, async () => {
        for (const issuerId of await crlIssuerIds(deps)) {
          await currentCrl(deps, issuerId).catch((error) =>
            deps.logger.warn(
              { issuer_id: issuerId, error: error instanceof Error ? error.message : String(error) },
              'CRL pre-generation failed',
            ),
          );
        }
      }),
    ...notificationLoops(deps),
  };

  const runLoop = (name: LoopName): Promise<void> => {
    const inFlight = running.get(name);
    if (inFlight) return inFlight;
    const run = loops[name]()
      .then(() => undefined)
      .catch((error) => deps.logger.error({ loop: name, err: error }, 'scheduler loop failed'))
      .finally(() => running.delete(name));
    running.set(name, run);
    return run;
  };

  return {
    runLoop,
    start() {
      const every = (name: LoopName, ms: number, atStart: boolean) => {
        if (atStart) void runLoop(name);
        const timer = setInterval(() => void runLoop(name), ms);
        timer.unref?.();
        timers.push(timer);
      };
      every('jobs', intervals.jobProcessorMs, true);
      every('renewalCheck', intervals.renewalCheckMs, true);
      every('timeouts', Math.min(intervals.jobTimeoutCheckMs, intervals.agentHealthMs), true);
      every('expiry', intervals.shortLivedExpiryMs, true);
      every('crl', intervals.crlGenerationMs, false);
      startNotificationLoops(deps, intervals, every);
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await runner.stop();
      await Promise.all([...running.values()]);
    },
  };
}
