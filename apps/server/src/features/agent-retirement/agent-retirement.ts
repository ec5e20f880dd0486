import type { Executor } from '../../db/open-database.js';
import type { Agent, JobStatus } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound, ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

const OPEN_JOBS: JobStatus[] = ['pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca'];

export interface RetireOptions {
  force: boolean;
  reason?: string;
}

export interface RetiredAgent extends Agent {
  retiredReason: string;
  retiredBy: string;
  forced: boolean;
}

/** What still depends on an agent: its enabled targets, its live certificates, its open jobs. */
async function dependencies(trx: Executor, agentId: string) {
  const [targets, certificates, jobs] = await Promise.all([
    trx.selectFrom('targets').select('id').where('agentId', '=', agentId).where('enabled', '=', true).execute(),
    trx
      .selectFrom('certificates')
      .select('id')
      .where('agentId', '=', agentId)
      .where('status', 'not in', ['archived', 'revoked'])
      .execute(),
    trx.selectFrom('jobs').select('id').where('agentId', '=', agentId).where('status', 'in', OPEN_JOBS).execute(),
  ]);
  return {
    targetIds: targets.map((t) => t.id),
    certificateIds: certificates.map((c) => c.id),
    jobIds: jobs.map((j) => j.id),
  };
}

/**
 * Soft-retires an agent. Without `force`, anything depending on it (enabled targets, live
 * certificates, open jobs) refuses with a 409 that lists them; with `force` and a reason, its targets
 * are disabled and its open jobs cancelled in the same transaction. A retired agent's own calls are
 * answered 410 with the reason, so it stops and says why. Retiring twice is a no-op.
 */
export function retireAgent(deps: ServiceDeps, actor: Actor, agentId: string, options: RetireOptions): Promise<void> {
  const reason = options.reason?.trim() ?? '';
  if (options.force && !reason) throw invalid('force=true needs a reason (?reason=...) for the audit trail');
  return inTransaction(deps, async (trx) => {
    const agent = await trx.selectFrom('agents').selectAll().where('id', '=', agentId).forUpdate().executeTakeFirst();
    if (!agent) throw notFound('agent', agentId);
    if (agent.retiredAt) return;
    const found = await dependencies(trx, agentId);
    const counts = {
      active_targets: found.targetIds.length,
      active_certificates: found.certificateIds.length,
      pending_jobs: found.jobIds.length,
    };
    const blocking = counts.active_targets + counts.active_certificates + counts.pending_jobs;
    if (blocking > 0 && !options.force)
      throw conflict(
        `agent ${agentId} still has ${counts.active_targets} target(s), ${counts.active_certificates} certificate(s) and ${counts.pending_jobs} open job(s); move them, or retire with force=true and a reason`,
        {
          counts,
          target_ids: found.targetIds,
          certificate_ids: found.certificateIds,
          job_ids: found.jobIds,
        },
      );
    const now = deps.now();
    if (found.targetIds.length > 0)
      await trx
        .updateTable('targets')
        .set({ enabled: false, updatedAt: now })
        .where('id', 'in', found.targetIds)
        .execute();
    if (found.jobIds.length > 0)
      await trx
        .updateTable('jobs')
        .set({
          status: 'cancelled',
          lastError: `agent ${agentId} was retired: ${reason}`,
          leaseOwner: null,
          leaseExpiresAt: null,
          completedAt: now,
          updatedAt: now,
        })
        .where('id', 'in', found.jobIds)
        .execute();
    await trx
      .updateTable('agents')
      .set({ status: 'retired', retiredAt: now, updatedAt: now })
      .where('id', '=', agentId)
      .execute();
    const cascade = { target_ids: found.targetIds, job_ids: found.jobIds };
    await trx
      .insertInto('agentRetirements')
      .values({ agentId, reason, retiredBy: actor.name, forced: options.force, cascade: JSON.stringify(cascade) })
      .execute();
    await recordAudit(
      trx,
      actor,
      'agent_retired',
      { type: 'agent', id: agentId },
      { reason, force: options.force, ...counts, ...cascade },
    );
  });
}

/** The 410 a retired agent's calls get: it names the reason, so the agent can say why it stops. */
export async function retiredError(db: Executor, agentId: string): Promise<ServiceError> {
  const row = await db
    .selectFrom('agentRetirements')
    .select(['reason', 'retiredBy'])
    .where('agentId', '=', agentId)
    .executeTakeFirst();
  return new ServiceError(
    410,
    'gone',
    `agent ${agentId} is retired${row ? ` (by ${row.retiredBy}${row.reason ? `: ${row.reason}` : ''})` : ''}`,
  );
}

export async function listRetiredAgents(deps: ServiceDeps, page: PageRequest): Promise<PageResult<RetiredAgent>> {
  const query = deps.db.selectFrom('agents').where('agents.retiredAt', 'is not', null);
  const [rows, count] = await Promise.all([
    query
      .leftJoin('agentRetirements', 'agentRetirements.agentId', 'agents.id')
      .selectAll('agents')
      .select(['agentRetirements.reason', 'agentRetirements.retiredBy', 'agentRetirements.forced'])
      .orderBy('agents.retiredAt', 'desc')
      .orderBy('agents.id')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const data = rows.map(({ reason, retiredBy, forced, ...agent }) => ({
    ...agent,
    retiredReason: reason ?? '',
    retiredBy: retiredBy ?? '',
    forced: forced ?? false,
  }));
  return { data, total: Number(count.n), ...page };
}
