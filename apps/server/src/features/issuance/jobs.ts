import type { Job, JobStatus, JobType } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { closeAgentHttp01 } from '../agent-http01/agent-http01.js';

export type JobView = Omit<Job, 'csrPem' | 'leaseOwner' | 'caOrderPolls'> & { hasCsr: boolean };

export function jobView(job: Job): JobView {
  const { csrPem, leaseOwner: _lease, caOrderPolls: _polls, ...rest } = job;
  return { ...rest, hasCsr: Boolean(csrPem) };
}

export async function listJobs(
  deps: ServiceDeps,
  filters: { status?: JobStatus; type?: JobType; certificateId?: string; agentId?: string },
  page: PageRequest,
): Promise<PageResult<JobView>> {
  let query = deps.db.selectFrom('jobs');
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.type) query = query.where('type', '=', filters.type);
  if (filters.certificateId) query = query.where('certificateId', '=', filters.certificateId);
  if (filters.agentId) query = query.where('agentId', '=', filters.agentId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: data.map(jobView), total: Number(count.n), ...page };
}

export async function getJob(deps: ServiceDeps, id: string): Promise<JobView> {
  const row = await deps.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('job', id);
  return jobView(row);
}

/** Cancels a job that has not finished; a running CA call finishes but its result is dropped (the lease check fails). */
export function cancelJob(deps: ServiceDeps, actor: Actor, id: string): Promise<JobView> {
  return inTransaction(deps, async (trx) => {
    const job = await trx.selectFrom('jobs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!job) throw notFound('job', id);
    if (!['pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca'].includes(job.status))
      throw conflict(`job ${id} is ${job.status}`);
    const updated = await trx
      .updateTable('jobs')
      .set({
        status: 'cancelled',
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: `cancelled by ${actor.name}`,
        completedAt: deps.now(),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('approvals')
      .set({ state: 'expired', decidedAt: deps.now(), note: 'job cancelled' })
      .where('jobId', '=', id)
      .where('state', '=', 'pending')
      .execute();
    await trx
      .updateTable('certificates')
      .set({ status: 'active', updatedAt: deps.now() })
      .where('id', '=', job.certificateId)
      .where('status', '=', 'renewal_in_progress')
      .where('currentVersionId', 'is not', null)
      .execute();
    await closeAgentHttp01(trx, id, deps.now());
    await recordAudit(
      trx,
      actor,
      'job_cancelled',
      { type: 'job', id },
      { certificate_id: job.certificateId, previous_status: job.status },
    );
    return jobView(updated);
  });
}
