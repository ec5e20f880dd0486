import type { Job } from '../../db/tables.js';
import { runIssuanceJob } from '../issuance/issuance-runner.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

const WAIT_MS = 15_000;

/**
 * SCEP answers in the same HTTP exchange: run the job now on this replica. When the scheduler
 * claimed it first, wait for whoever holds it to finish.
 */
export async function runJobNow(deps: ServiceDeps, jobId: string): Promise<Job> {
  const claimed = await deps.db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      leaseOwner: deps.replicaId,
      leaseExpiresAt: new Date(deps.now().getTime() + deps.settings.jobLeaseMs),
      attempts: eb('attempts', '+', 1),
      startedAt: deps.now(),
      updatedAt: deps.now(),
    }))
    .where('id', '=', jobId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (claimed) await runIssuanceJob(deps, claimed);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const job = await deps.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    if (!['pending', 'running'].includes(job.status) || Date.now() > deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
