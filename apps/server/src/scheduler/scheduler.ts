import { isDatabaseUnavailable } from '../db/connection-errors.js';
import type { ServiceDeps } from '../shared/service-deps.js';
import type { JobRunner } from './job-runner.js';
import { withLeaderLock } from './leader-lock.js';

/** One periodic loop, declared by the feature that owns the work. */
export interface ScheduledLoop {
  /** Unique across the server; `runLoop(name)` runs it now (tests, admin). */
  name: string;
  /** Timer interval; without it the loop only runs on demand. */
  everyMs?: number;
  /** Also run once when the scheduler starts (work missed during downtime). */
  atStart?: boolean;
  /**
   * PostgreSQL advisory lock key (stable, unique): only the replica holding it runs the loop.
   * Omitted for work replicas share safely on their own (SKIP LOCKED claims).
   */
  leaderLockKey?: number;
  run(): Promise<unknown>;
}

export interface Scheduler {
  start(): void;
  /** Stops the timers and waits for runs in progress. */
  stop(): Promise<void>;
  /** Runs one loop now (tests, admin). */
  runLoop(name: LoopName): Promise<void>;
}

export type LoopName = string;

/**
 * Runs the features' loops plus the job runner's pass. Each tick is skipped while the previous run of
 * the same loop is still going; loops with a leader lock key run on one replica at a time. Job
 * execution is not leader-bound: replicas share it through SKIP LOCKED claims.
 */
export function createScheduler(
  deps: ServiceDeps,
  runner: JobRunner,
  options: { jobProcessorMs: number; loops: readonly ScheduledLoop[] },
): Scheduler {
  const timers: NodeJS.Timeout[] = [];
  const running = new Map<LoopName, Promise<void>>();
  const all: ScheduledLoop[] = [
    { name: 'jobs', everyMs: options.jobProcessorMs, atStart: true, run: () => runner.runOnce() },
    ...options.loops,
  ];
  const loops = new Map<LoopName, () => Promise<unknown>>();
  const lockKeys = new Map<number, string>();
  for (const loop of all) {
    if (loops.has(loop.name)) throw new Error(`two scheduler loops are named "${loop.name}"`);
    const key = loop.leaderLockKey;
    if (key !== undefined) {
      const other = lockKeys.get(key);
      if (other) throw new Error(`scheduler loops "${other}" and "${loop.name}" share leader lock key ${key}`);
      lockKeys.set(key, loop.name);
    }
    loops.set(loop.name, key === undefined ? loop.run : () => withLeaderLock(deps, key, loop.run));
  }

  const runLoop = (name: LoopName): Promise<void> => {
    const inFlight = running.get(name);
    if (inFlight) return inFlight;
    const loop = loops.get(name);
    if (!loop) return Promise.reject(new Error(`no scheduler loop "${name}"`));
    const run = loop()
      .then(() => undefined)
      .catch((error) => {
        if (!isDatabaseUnavailable(error))
          return deps.logger.error({ loop: name, err: error }, 'scheduler loop failed');
        // The database restarts or fails over: the next tick tries again.
        deps.metrics.databaseUnavailable.inc({ source: 'scheduler' });
        deps.logger.warn(
          { loop: name, error: (error as Error).message },
          'scheduler loop skipped: database unavailable',
        );
      })
      .finally(() => running.delete(name));
    running.set(name, run);
    return run;
  };

  return {
    runLoop,
    start() {
      for (const loop of all) {
        if (loop.everyMs === undefined) continue;
        if (loop.atStart) void runLoop(loop.name);
        const timer = setInterval(() => void runLoop(loop.name), loop.everyMs);
        timer.unref?.();
        timers.push(timer);
      }
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await runner.stop();
      await Promise.all([...running.values()]);
    },
  };
}
