import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { notifyAgentOffline } from '../agents/agent-alerts.js';
import { recordAudit } from '../../shared/audit.js';
import { requestIssuance } from './issuance-requests.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface RenewalCheckResult {
  examined: number;
  queued: number;
  skippedByRenewalInfo: number;
  errors: number;
}

/**
 * A certificate whose renewal failed for good (its job's retries ran out, e.g. during a CA outage) is
 * queued again by the renewal check, at most once per this pause, so the fleet heals itself once
 * the CA is back instead of waiting in `failed` for a person.
 */
export const FAILED_RENEWAL_PAUSE_MS = 3_600_000;

/** Renewal windows up to this many days (the schema's CHECK limit) bound the candidate scan by expiry (see runRenewalCheck). */
const MAX_SCAN_BOUND_DAYS = 365;

/**
 * Queues renewals for certificates inside their policy's renewal window (auto_renew on). When the
 * issuer offers RFC 9773 renewal info, its suggested window wins: before its start, nothing is
 * queued. Each request goes through `requestIssuance`, so approval applies, and the open-job index
 * makes a second replica's attempt a harmless conflict.
 */
export async function runRenewalCheck(deps: ServiceDeps, now = deps.now()): Promise<RenewalCheckResult> {
  // The widest auto-renew window bounds the scan, so the certificates_expires_at index can range-scan
  // instead of every certificate being joined to its policy. Windows over a year skip the bound.
  const widest = await deps.db
    .selectFrom('renewalPolicies')
    .select((eb) => eb.fn.max('renewalWindowDays').as('days'))
    .where('autoRenew', '=', true)
    .executeTakeFirst();
  if (widest?.days === null || widest?.days === undefined)
    return { examined: 0, queued: 0, skippedByRenewalInfo: 0, errors: 0 };
  const widestDays = Number(widest.days);
  const candidates = await deps.db
    .selectFrom('certificates')
    .innerJoin('renewalPolicies', 'renewalPolicies.id', 'certificates.renewalPolicyId')
    .innerJoin('certificateVersions', 'certificateVersions.id', 'certificates.currentVersionId')
    .select(['certificates.id', 'certificates.issuerId', 'certificateVersions.certificatePem'])
    .where('certificates.status', 'in', ['active', 'expiring', 'expired', 'failed'])
    .where('renewalPolicies.autoRenew', '=', true)
    .where((eb) =>
      eb.or([
        eb('certificates.status', '!=', 'failed'),
        eb.not(
          eb.exists(
            eb
              .selectFrom('jobs')
              .select('jobs.id')
              .whereRef('jobs.certificateId', '=', 'certificates.id')
              .where('jobs.type', 'in', ['issuance', 'renewal'])
              .where('jobs.completedAt', '>', new Date(now.getTime() - FAILED_RENEWAL_PAUSE_MS)),
          ),
        ),
      ]),
    )
    .where(
      sql<boolean>`certificates.expires_at <= ${now}::timestamptz + make_interval(days => renewal_policies.renewal_window_days)`,
    )
    .$if(widestDays <= MAX_SCAN_BOUND_DAYS, (qb) =>
      qb.where(
        sql<boolean>`certificates.expires_at <= ${now}::timestamptz + make_interval(days => ${widestDays}::int)`,
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('jobs')
            .select('jobs.id')
            .whereRef('jobs.certificateId', '=', 'certificates.id')
            .where('jobs.type', 'in', ['issuance', 'renewal'])
            .where('jobs.status', 'in', ['pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca']),
        ),
      ),
    )
    .orderBy('certificates.expiresAt')
    .limit(10_000)
    .execute();
  const result: RenewalCheckResult = { examined: candidates.length, queued: 0, skippedByRenewalInfo: 0, errors: 0 };
  for (const candidate of candidates) {
    let trigger = 'scheduled';
    try {
      const runtime = await deps.issuers.get(candidate.issuerId);
      if (runtime.capabilities.renewalInfo && (await runtime.supports('renewalInfo'))) {
        const info = await runtime.renewalInfo(candidate.certificatePem).catch(() => undefined);
        if (info && now.getTime() < info.suggestedWindow.start.getTime()) {
          result.skippedByRenewalInfo++;
          continue;
        }
        if (info) trigger = 'ari';
      }
    } catch {
      // An issuer that cannot be reached now still gets its renewal queued; the job retries.
    }
    try {
      await inTransaction(deps, (trx) => requestIssuance(trx, deps, SYSTEM_ACTOR, candidate.id, { trigger }));
      result.queued++;
    } catch (error) {
      // 409 is usually an open job already; a group without members to renew is worth a warning.
      const noRenewer =
        error instanceof ServiceError &&
        typeof error.details === 'object' &&
        error.details !== null &&
        'agent_group_id' in error.details;
      if (noRenewer || !(error instanceof ServiceError && error.status === 409)) {
        result.errors++;
        deps.logger.warn(
          { certificate_id: candidate.id, error: error instanceof Error ? error.message : String(error) },
          'renewal could not be queued',
        );
      }
    }
  }
  if (result.queued > 0) deps.notifyJobs();
  return result;
}

/** Moves certificates between active, expiring and expired as the clock passes their policy's window. */
export async function refreshExpiryStatuses(deps: ServiceDeps, now = deps.now()): Promise<number> {
  const expired = await deps.db
    .updateTable('certificates')
    .set({ status: 'expired', updatedAt: now })
    .where('status', 'in', ['active', 'expiring'])
    .where('expiresAt', '<=', now)
    .returning(['id'])
    .execute();
  for (const row of expired)
    await recordAudit(deps.db, SYSTEM_ACTOR, 'certificate_expired', { type: 'certificate', id: row.id });
  const expiring = await sql<{ id: string }>`
    UPDATE certificates c SET status = 'expiring', updated_at = ${now}::timestamptz
    FROM renewal_policies p
    WHERE p.id = c.renewal_policy_id AND c.status = 'active'
      AND c.expires_at > ${now}::timestamptz AND c.expires_at <= ${now}::timestamptz + make_interval(days => p.renewal_window_days)
    RETURNING c.id`.execute(deps.db);
  return expired.length + expiring.rows.length;
}

/** Jobs stuck waiting for a CSR or an approval past their timeout are closed; agents that went silent are marked offline. */
export async function reapTimeouts(
  deps: ServiceDeps,
  now = deps.now(),
): Promise<{ csr: number; approval: number; agents: number }> {
  const csrCutoff = new Date(now.getTime() - deps.settings.awaitingCsrTimeoutMs);
  const approvalCutoff = new Date(now.getTime() - deps.settings.awaitingApprovalTimeoutMs);
  return inTransaction(deps, async (trx) => {
    const csr = await trx
      .updateTable('jobs')
      .set({
        status: 'failed',
        lastError: 'no CSR arrived before the awaiting-CSR timeout',
        completedAt: now,
        updatedAt: now,
      })
      .where('status', '=', 'awaiting_csr')
      .where('updatedAt', '<', csrCutoff)
      .returning(['id', 'certificateId'])
      .execute();
    // Expired approvals cancel the job: a timed-out request is never treated as consent.
    const approval = await trx
      .updateTable('jobs')
      .set({
        status: 'cancelled',
        lastError: 'approval not given before the awaiting-approval timeout',
        completedAt: now,
        updatedAt: now,
      })
      .where('status', '=', 'awaiting_approval')
      .where('createdAt', '<', approvalCutoff)
      .returning(['id', 'certificateId'])
      .execute();
    if (approval.length > 0) {
      await trx
        .updateTable('approvals')
        .set({ state: 'expired', decidedAt: now, note: 'timed out' })
        .where(
          'jobId',
          'in',
          approval.map((j) => j.id),
        )
        .where('state', '=', 'pending')
        .execute();
    }
    for (const job of csr)
      await recordAudit(
        trx,
        SYSTEM_ACTOR,
        'job_timeout',
        { type: 'job', id: job.id },
        { certificate_id: job.certificateId, waited_for: 'csr' },
      );
    for (const job of approval)
      await recordAudit(
        trx,
        SYSTEM_ACTOR,
        'approval_expired',
        { type: 'job', id: job.id },
        { certificate_id: job.certificateId },
      );
    const agents = await trx
      .updateTable('agents')
      .set({ status: 'offline', updatedAt: now })
      .where('status', '=', 'online')
      .where('lastHeartbeatAt', '<', new Date(now.getTime() - deps.settings.agentOfflineAfterMs))
      .returning(['id', 'name', 'hostname', 'lastHeartbeatAt'])
      .execute();
    for (const agent of agents) await notifyAgentOffline(trx, deps, agent);
    return { csr: csr.length, approval: approval.length, agents: agents.length };
  });
}
