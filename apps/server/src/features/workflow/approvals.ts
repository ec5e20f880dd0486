import type { Approval } from '../../db/tables.js';
import { type Actor, principalOf } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { readyStatus } from '../issuance/issuance-requests.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, forbidden, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export async function listApprovals(
  deps: ServiceDeps,
  filters: { state?: Approval['state'] },
  page: PageRequest,
): Promise<PageResult<Approval>> {
  let query = deps.db.selectFrom('approvals');
  if (filters.state) query = query.where('state', '=', filters.state);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getApproval(deps: ServiceDeps, id: string): Promise<Approval> {
  const row = await deps.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('approval', id);
  return row;
}

/**
 * Two-person rule: the requester can never decide their own request (checked here and by a CHECK
 * constraint). Approving releases the job (to pending, or awaiting_csr for agent keys); rejecting
 * cancels it.
 */
export async function decideApproval(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  decision: 'approve' | 'reject',
  note = '',
): Promise<Approval> {
  const approval = await inTransaction(deps, async (trx) => {
    const current = await trx.selectFrom('approvals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound('approval', id);
    if (current.state !== 'pending') throw conflict(`approval ${id} is already ${current.state}`);
    const decider = principalOf(actor);
    const sameRequester = current.requestedByPrincipal
      ? current.requestedByPrincipal === decider
      : current.requestedBy === actor.name;
    if (sameRequester) throw forbidden('two-person integrity: the requester cannot decide their own request');
    const state = decision === 'approve' ? 'approved' : 'rejected';
    const updated = await trx
      .updateTable('approvals')
      .set({ state, decidedBy: actor.name, decidedByPrincipal: decider, decidedAt: deps.now(), note })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const job = await trx
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', current.jobId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (job.status === 'awaiting_approval') {
      if (decision === 'approve') {
        const certificate = await trx
          .selectFrom('certificates')
          .select(['agentId'])
          .where('id', '=', job.certificateId)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('jobs')
          .set({ status: readyStatus(job, certificate), nextRunAt: deps.now(), updatedAt: deps.now() })
          .where('id', '=', job.id)
          .execute();
      } else {
        await trx
          .updateTable('jobs')
          .set({
            status: 'cancelled',
            lastError: `rejected by ${actor.name}${note ? `: ${note}` : ''}`,
            completedAt: deps.now(),
            updatedAt: deps.now(),
          })
          .where('id', '=', job.id)
          .execute();
        await trx
          .updateTable('certificates')
          .set({ status: 'failed', updatedAt: deps.now() })
          .where('id', '=', job.certificateId)
          .where('status', '=', 'pending')
          .execute();
        await trx
          .updateTable('certificates')
          .set({ status: 'active', updatedAt: deps.now() })
          .where('id', '=', job.certificateId)
          .where('status', '=', 'renewal_in_progress')
          .execute();
      }
    }
    await recordAudit(
      trx,
      actor,
      `approval_${state}`,
      { type: 'approval', id },
      { job_id: job.id, certificate_id: job.certificateId, requested_by: current.requestedBy, note },
    );
    return updated;
  });
  deps.metrics.approvalDecisions.inc({ outcome: approval.state });
  if (approval.state === 'approved') deps.notifyJobs();
  return approval;
}

/** Approve or reject by job id (the reference's /jobs/{id}/approve). */
export async function decideJobApproval(
  deps: ServiceDeps,
  actor: Actor,
  jobId: string,
  decision: 'approve' | 'reject',
  note?: string,
): Promise<Approval> {
  const row = await deps.db.selectFrom('approvals').select('id').where('jobId', '=', jobId).executeTakeFirst();
  if (!row) throw notFound('approval request for job', jobId);
  return decideApproval(deps, actor, row.id, decision, note);
}
