import type { Job } from '../db/tables.js';
import { claimJobs, renewLeases } from './job-queue.js';
import type { ServiceDeps } from '../shared/service-deps.js';

/** Runs one claimed job to its next state and says how it ended (a metric label). */
export type JobExecutor = (job: Job) => Promise<string>;

export interface JobRunner {
  /** Claims and runs due jobs until none is left; concurrent calls share one pass. */
  runOnce(): Promise<number>;
  /** Asks for a pass soon (after work was queued). */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Server-side job execution. No leader: every replica claims with SKIP LOCKED, so replicas share
 * the work and never take the same job.
 */
export function createJobRunner(deps: ServiceDeps, options: { concurrency: number; execute: JobExecutor }): JobRunner {
  let current: Promise<number> | undefined;
  let again = false;
  let stopped = false;
  let wakeTimer: NodeJS.Timeout | undefined;

  const pass = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      if (stopped) return total;
      const jobs = await claimJobs(deps.db, deps.replicaId, deps.settings.jobLeaseMs, options.concurrency, deps.now());
      if (jobs.length === 0) return total;
      for (const job of jobs) if (job.takenOver) deps.metrics.jobLeaseExpirations.inc({ type: job.type });
      // Heartbeat: renew the leases of the running jobs three times per lease until they finish.
      const ids = jobs.map((job) => job.id);
      const heartbeat = setInterval(
        () =>
          renewLeases(deps.db, deps.replicaId, deps.settings.jobLeaseMs, ids, deps.now()).catch((error: unknown) =>
            deps.logger.warn({ err: error }, 'job lease renewal failed'),
          ),
        Math.max(50, Math.floor(deps.settings.jobLeaseMs / 3)),
      );
      heartbeat.unref?.();
      let outcomes: string[];
      try {
        outcomes = await Promise.all(jobs.map((job) => options.execute(job)));
      } finally {
        clearInterval(heartbeat);
      }
      for (const [i, job] of jobs.entries()) deps.metrics.jobsProcessed.inc({ type: job.type, outcome: outcomes[i]! });
      total += jobs.length;
    }
  };

  const runOnce = (): Promise<number> => {
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await pass();
        } while (again && !stopped);
      } finally {
        current = undefined;
      }
      return total;
    })();
    return current;
  };

  return {
    runOnce,
    wake() {
      if (stopped || wakeTimer) return;
      wakeTimer = setTimeout(() => {
        wakeTimer = undefined;
        runOnce().catch((error) => deps.logger.error({ err: error }, 'job runner pass failed'));
      }, 5);
      wakeTimer.unref?.();
    },
    async stop() {
      stopped = true;
      if (wakeTimer) clearTimeout(wakeTimer);
      await current?.catch(() => undefined);
    },
  };
}
