import { sql } from 'kysely';
import type { Executor } from '../db/open-database.js';
import type { Job, JobStatus, JobType } from '../db/tables.js';

/** A claimed job; `takenOver` when its previous holder's lease had expired (that replica died). */
export type ClaimedJob = Job & { takenOver: boolean };

/**
 * Claims up to `limit` runnable server-side jobs: pending or waiting_on_ca ones that are due, and
 * running ones whose lease ran out (their replica died). Rows are locked with FOR UPDATE SKIP
 * LOCKED, so concurrent replicas each get different jobs; the lease makes the claim survive the
 * transaction. `now` is the server's clock (deps.now()), not the database's: retry times are
 * written from that clock, so they must be compared with it (the fleet simulator drives it).
 */
export async function claimJobs(
  db: Executor,
  replicaId: string,
  leaseMs: number,
  limit: number,
  now: Date,
  types: JobType[] = ['issuance', 'renewal'],
): Promise<ClaimedJob[]> {
  const leaseEnd = new Date(now.getTime() + leaseMs);
  const rows = await sql<Job & { previousStatus: JobStatus }>`
    UPDATE jobs SET
      status = 'running',
      lease_owner = ${replicaId},
      lease_expires_at = ${leaseEnd}::timestamptz,
      attempts = attempts + CASE WHEN jobs.status = 'waiting_on_ca' THEN 0 ELSE 1 END,
      started_at = coalesce(started_at, ${now}::timestamptz),
      updated_at = ${now}::timestamptz
    FROM (
      SELECT id, status AS previous_status FROM jobs
      WHERE type IN (${sql.join(types)})
        AND ((status IN ('pending', 'waiting_on_ca') AND next_run_at <= ${now}::timestamptz) OR (status = 'running' AND lease_expires_at < ${now}::timestamptz))
      ORDER BY next_run_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) AS due
    WHERE jobs.id = due.id
    RETURNING jobs.*, due.previous_status`.execute(db);
  return rows.rows.map(
    ({ previousStatus, ...job }): ClaimedJob => ({ ...job, takenOver: previousStatus === 'running' }),
  );
}

/**
 * Extends the leases this replica still holds on `jobIds` (a heartbeat while they run), so a lease
 * can be short: a replica that dies (kill -9) stops renewing, and another takes its jobs over once
 * the short lease runs out instead of after the longest job could take.
 */
export async function renewLeases(
  db: Executor,
  replicaId: string,
  leaseMs: number,
  jobIds: readonly string[],
  now: Date,
) {
  if (jobIds.length === 0) return;
  await sql`
    UPDATE jobs SET lease_expires_at = ${new Date(now.getTime() + leaseMs)}::timestamptz
    WHERE id IN (${sql.join([...jobIds])}) AND lease_owner = ${replicaId} AND status = 'running'`.execute(db);
}

export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} is no longer leased by this replica`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Moves a job this replica holds to its next state. Throws LeaseLostError (rolling back the caller's
 * transaction) when the lease expired and another replica took the job over meanwhile.
 */
export async function settleJob(
  trx: Executor,
  job: Pick<Job, 'id'>,
  /** The replica holding the lease and its clock (the ServiceDeps). */
  holder: { replicaId: string; now(): Date },
  next: {
    status: JobStatus;
    lastError?: string | null;
    nextRunAt?: Date;
    caOrderId?: string | null;
    caOrderDeadline?: Date | null;
    caOrderState?: string | null;
    caOrderPolls?: number;
    resultVersionId?: string;
  },
): Promise<Job> {
  const now = holder.now();
  const terminal =
    next.status === 'succeeded' || next.status === 'failed' || next.status === 'cancelled' || next.status === 'dead';
  const row = await trx
    .updateTable('jobs')
    .set({
      status: next.status,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: now,
      ...(next.lastError !== undefined && { lastError: next.lastError }),
      ...(next.nextRunAt !== undefined && { nextRunAt: next.nextRunAt }),
      ...(next.caOrderId !== undefined && { caOrderId: next.caOrderId }),
      ...(next.caOrderDeadline !== undefined && { caOrderDeadline: next.caOrderDeadline }),
      ...(next.caOrderState !== undefined && { caOrderState: next.caOrderState }),
      ...(next.caOrderPolls !== undefined && { caOrderPolls: next.caOrderPolls }),
      ...(next.resultVersionId !== undefined && { resultVersionId: next.resultVersionId }),
      ...(terminal && { completedAt: now }),
    })
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('leaseOwner', '=', holder.replicaId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new LeaseLostError(job.id);
  return row;
}
