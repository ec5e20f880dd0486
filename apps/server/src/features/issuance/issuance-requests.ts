import type { Executor } from '../../db/open-database.js';
import { newId } from '../../db/ids.js';
import type { Certificate, CertificateProfile, Job, JobStatus } from '../../db/tables.js';
import { type Actor, principalOf } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { canIssue } from '../certificates/certificate-status.js';
import {
  type CertificateInput,
  currentVersion,
  getCertificate,
  insertCertificate,
} from '../certificates/certificates.js';
import { checkCsrAgainstCertificate, readCsr } from '../policies/csr-policy.js';
import { enforceIssuancePolicies } from '../policy-rules/policy-enforcement.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { renewalAgent } from '../agent-groups/agent-groups.js';

export interface IssuanceRequest {
  csrPem?: string;
  /** `manual`, `csr_submitted`, `scheduled`, `ari`, `bulk` ... recorded on the job and in the audit trail. */
  trigger: string;
}

const OPEN_STATUSES: JobStatus[] = ['pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca'];

async function profileOf(db: Executor, certificate: Certificate): Promise<CertificateProfile | undefined> {
  if (!certificate.profileId) return undefined;
  return db.selectFrom('certificateProfiles').selectAll().where('id', '=', certificate.profileId).executeTakeFirst();
}

/** The status a job starts in (or resumes to after approval): it needs a CSR before it can run. */
export function readyStatus(job: Pick<Job, 'csrPem'>, certificate: Pick<Certificate, 'agentId'>): JobStatus {
  if (job.csrPem) return 'pending';
  return certificate.agentId ? 'awaiting_csr' : 'pending';
}

/**
 * The one way an issuance or renewal job comes into existence, whoever asks (API, CSR submission,
 * scheduler, bulk): it checks the CSR against the profile, and a profile that requires approval
 * parks the job in `awaiting_approval` with an approval request. A second open job for the same
 * certificate is refused by a unique index, so two replicas can never both start one.
 */
export async function requestIssuance(
  trx: Executor,
  deps: ServiceDeps,
  actor: Actor,
  certificateId: string,
  request: IssuanceRequest,
): Promise<Job> {
  const found = await trx
    .selectFrom('certificates')
    .selectAll()
    .where('id', '=', certificateId)
    .forUpdate()
    .executeTakeFirst();
  if (!found) throw invalid(`certificate ${certificateId} does not exist`);
  if (!canIssue(found.status))
    throw conflict(`certificate ${certificateId} is ${found.status}; it cannot be issued again`);
  // A renewal policy addressed to an agent group picks the member that makes the CSR (and keeps the key).
  const assigned = request.csrPem ? { agentId: found.agentId } : await renewalAgent(trx, found);
  const certificate = { ...found, agentId: assigned.agentId };
  if (assigned.agentId !== found.agentId) {
    await trx
      .updateTable('certificates')
      .set({ agentId: assigned.agentId, updatedAt: deps.now() })
      .where('id', '=', certificateId)
      .execute();
    await recordAudit(
      trx,
      actor,
      'certificate_agent_reassigned',
      { type: 'certificate', id: certificateId },
      { from: found.agentId, to: assigned.agentId, agent_group_id: assigned.groupId },
    );
  }
  const profile = await profileOf(trx, certificate);
  if (profile && !profile.enabled) throw conflict(`profile ${profile.id} is disabled`);
  const previous = await currentVersion(trx, certificate);
  let csrPem = request.csrPem;
  let csr = csrPem ? await readCsr(csrPem) : undefined;
  if (csr) checkCsrAgainstCertificate(csr, certificate, profile);
  else if (!certificate.agentId) {
    // Without an agent the server holds no key: a renewal reuses the last CSR (same key).
    csrPem = previous?.csrPem ?? undefined;
    if (!csrPem)
      throw invalid(
        `certificate ${certificateId} has no CSR yet: submit one with POST /api/v1/certificates/${certificateId}/csr, or assign an agent`,
      );
    csr = await readCsr(csrPem);
  }
  await enforceIssuancePolicies(trx, deps, actor, { certificate, csr, profile, source: request.trigger });
  const open = await trx
    .selectFrom('jobs')
    .select(['id', 'status'])
    .where('certificateId', '=', certificateId)
    .where('type', 'in', ['issuance', 'renewal'])
    .where('status', 'in', OPEN_STATUSES)
    .executeTakeFirst();
  if (open)
    throw conflict(`certificate ${certificateId} already has an open job ${open.id} (${open.status})`, {
      job_id: open.id,
    });

  const policy = await trx
    .selectFrom('renewalPolicies')
    .select(['maxRetries'])
    .where('id', '=', certificate.renewalPolicyId)
    .executeTakeFirst();
  const needsApproval = Boolean(profile?.requiresApproval);
  const bypass = needsApproval && deps.settings.approvalBypass;
  const type = previous ? 'renewal' : 'issuance';
  const jobId = newId('job');
  const draft = { csrPem: csrPem ?? null };
  const status: JobStatus = needsApproval && !bypass ? 'awaiting_approval' : readyStatus(draft, certificate);
  const job = await trx
    .insertInto('jobs')
    .values({
      id: jobId,
      type,
      certificateId,
      agentId: certificate.agentId,
      status,
      maxAttempts: Math.max(1, policy?.maxRetries ?? deps.settings.jobMaxAttempts),
      csrPem: draft.csrPem,
      // Due by the server's clock, which the job queue compares it with (not the database's now()).
      nextRunAt: deps.now(),
      trigger: request.trigger,
      requestedBy: actor.name,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (needsApproval) {
    await trx
      .insertInto('approvals')
      .values({
        id: newId('approval'),
        certificateId,
        jobId,
        profileId: profile?.id ?? null,
        requestedBy: actor.name,
        requestedByPrincipal: principalOf(actor),
        ...(bypass && {
          state: 'approved' as const,
          decidedBy: 'system-bypass',
          decidedByPrincipal: 'system:system-bypass',
          decidedAt: deps.now(),
          note: 'CERTCTL_APPROVAL_BYPASS',
        }),
      })
      .execute();
    if (bypass)
      await recordAudit(trx, actor, 'approval_bypassed', { type: 'job', id: jobId }, { certificate_id: certificateId });
  }
  if (certificate.status !== 'pending') {
    await trx
      .updateTable('certificates')
      .set({ status: 'renewal_in_progress', updatedAt: deps.now() })
      .where('id', '=', certificateId)
      .execute();
  }
  await recordAudit(
    trx,
    actor,
    type === 'renewal' ? 'renewal_job_created' : 'issuance_job_created',
    { type: 'certificate', id: certificateId },
    { job_id: jobId, status, trigger: request.trigger },
  );
  return job;
}

export interface CreatedCertificate {
  certificate: Certificate;
  job?: Job;
}

/** Creates a managed certificate; with a CSR (or an agent to make one) its issuance is queued in the same transaction. */
export async function createCertificate(
  deps: ServiceDeps,
  actor: Actor,
  input: CertificateInput & { csrPem?: string; issueNow?: boolean },
): Promise<CreatedCertificate> {
  const created = await inTransaction(deps, async (trx) => {
    const certificate = await insertCertificate(trx, actor, input);
    const issue = input.csrPem !== undefined || (input.issueNow ?? Boolean(input.agentId));
    const job = issue
      ? await requestIssuance(trx, deps, actor, certificate.id, { csrPem: input.csrPem, trigger: 'created' })
      : undefined;
    return { certificate: job ? await getCertificate(trx, certificate.id) : certificate, job };
  });
  if (created.job) deps.notifyJobs();
  return created;
}

/** `POST /certificates/{id}/csr`: a CSR for the next issuance. Fills an open job waiting for one, or queues a new job. */
export async function submitCsr(deps: ServiceDeps, actor: Actor, certificateId: string, csrPem: string): Promise<Job> {
  const job = await inTransaction(deps, async (trx) => {
    const certificate = await getCertificate(trx, certificateId);
    const waiting = await trx
      .selectFrom('jobs')
      .selectAll()
      .where('certificateId', '=', certificateId)
      .where('type', 'in', ['issuance', 'renewal'])
      .where('status', 'in', ['awaiting_csr', 'awaiting_approval'])
      .forUpdate()
      .executeTakeFirst();
    if (!waiting) return requestIssuance(trx, deps, actor, certificateId, { csrPem, trigger: 'csr_submitted' });
    const profile = await profileOf(trx, certificate);
    const csr = await readCsr(csrPem);
    checkCsrAgainstCertificate(csr, certificate, profile);
    await enforceIssuancePolicies(trx, deps, actor, { certificate, csr, profile, source: 'csr_submitted' });
    const status: JobStatus = waiting.status === 'awaiting_approval' ? 'awaiting_approval' : 'pending';
    const updated = await trx
      .updateTable('jobs')
      .set({ csrPem, status, nextRunAt: deps.now(), updatedAt: deps.now() })
      .where('id', '=', waiting.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'csr_submitted', { type: 'certificate', id: certificateId }, { job_id: waiting.id });
    return updated;
  });
  deps.notifyJobs();
  return job;
}

/** `POST /certificates/{id}/renew`: issue now (first issuance or renewal). */
export async function renewNow(deps: ServiceDeps, actor: Actor, certificateId: string): Promise<Job> {
  const job = await inTransaction(deps, (trx) =>
    requestIssuance(trx, deps, actor, certificateId, { trigger: 'manual' }),
  );
  deps.notifyJobs();
  return job;
}
