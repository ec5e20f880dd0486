import { sql } from 'kysely';
import { newId } from '../../db/ids.js';
import type { DeploymentVerification, Job, JobStatus } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { deploymentAgents } from '../agent-groups/agent-groups.js';
import { type JobView, jobView } from '../issuance/jobs.js';

const OPEN_DEPLOYMENT: JobStatus[] = ['pending', 'running'];

export interface DeployRequestResult {
  certificateId: string;
  versionId: string;
  serial: string;
  deploymentJobs: JobView[];
  skipped: { targetId: string; reason: string }[];
}

/**
 * Queues a deployment of the certificate's current version to each chosen target (default: every
 * target it is bound to), without renewing. A target that already has an open deployment of this
 * certificate is skipped, so asking twice does not deploy twice.
 */
export async function deployNow(
  deps: ServiceDeps,
  actor: Actor,
  certificateId: string,
  targetIds: string[] | undefined,
): Promise<DeployRequestResult> {
  const result = await inTransaction(deps, async (trx) => {
    const certificate = await trx
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', certificateId)
      .forUpdate()
      .executeTakeFirst();
    if (!certificate) throw notFound('certificate', certificateId);
    if (certificate.status === 'revoked' || certificate.status === 'archived')
      throw conflict(`certificate ${certificateId} is ${certificate.status}; it is not deployed any more`);
    if (!certificate.currentVersionId)
      throw conflict(`certificate ${certificateId} has never been issued; there is nothing to deploy`);
    const version = await trx
      .selectFrom('certificateVersions')
      .select(['id', 'serial'])
      .where('id', '=', certificate.currentVersionId)
      .executeTakeFirstOrThrow();
    const bound = await trx
      .selectFrom('certificateTargets')
      .innerJoin('targets', 'targets.id', 'certificateTargets.targetId')
      .select(['targets.id', 'targets.agentId', 'targets.enabled'])
      .where('certificateTargets.certificateId', '=', certificateId)
      .execute();
    const chosen = targetIds?.length ? [...new Set(targetIds)] : bound.map((t) => t.id);
    const unbound = chosen.filter((id) => !bound.some((t) => t.id === id));
    if (unbound.length)
      throw invalid(
        `target_ids: ${unbound.join(', ')} ${unbound.length === 1 ? 'is' : 'are'} not bound to certificate ${certificateId}`,
      );
    if (chosen.length === 0) throw conflict(`certificate ${certificateId} is bound to no target`);
    const open = await trx
      .selectFrom('jobs')
      .select('targetId')
      .where('certificateId', '=', certificateId)
      .where('type', '=', 'deployment')
      .where('status', 'in', OPEN_DEPLOYMENT)
      .execute();
    const skipped: DeployRequestResult['skipped'] = [];
    const queued: Job[] = [];
    for (const targetId of chosen) {
      const target = bound.find((t) => t.id === targetId)!;
      // A target addressed to an agent group is deployed by each member, as issuance does.
      const agentIds = target.enabled ? await deploymentAgents(trx, target) : [];
      if (!target.enabled) skipped.push({ targetId, reason: 'target is disabled' });
      else if (agentIds.length === 0) skipped.push({ targetId, reason: 'no agent serves this target' });
      else if (open.some((j) => j.targetId === targetId))
        skipped.push({ targetId, reason: 'a deployment to this target is already queued or running' });
      else
        for (const agentId of agentIds)
          queued.push(
            await trx
              .insertInto('jobs')
              .values({
                id: newId('job'),
                type: 'deployment',
                certificateId,
                targetId,
                agentId,
                status: 'pending',
                requestedBy: actor.name,
                trigger: 'manual',
                resultVersionId: version.id,
              })
              .returningAll()
              .executeTakeFirstOrThrow(),
          );
    }
    await recordAudit(
      trx,
      actor,
      'deployment_requested',
      { type: 'certificate', id: certificateId },
      {
        version_id: version.id,
        serial: version.serial,
        job_ids: queued.map((j) => j.id),
        target_ids: queued.map((j) => j.targetId),
        skipped: skipped.map((s) => ({ target_id: s.targetId, reason: s.reason })),
      },
    );
    return {
      certificateId,
      versionId: version.id,
      serial: version.serial,
      deploymentJobs: queued.map(jobView),
      skipped,
    };
  });
  deps.notifyJobs();
  return result;
}

export type VerificationStatus = 'pending' | 'not_configured' | 'verified' | 'failed';

export interface DeploymentRecord {
  jobId: string;
  certificateId: string;
  certificateName: string;
  targetId: string | null;
  targetName: string | null;
  targetType: string | null;
  agentId: string | null;
  status: JobStatus;
  trigger: string;
  requestedBy: string;
  attempts: number;
  lastError: string | null;
  versionId: string | null;
  serial: string | null;
  fingerprintSha256: string | null;
  verificationStatus: VerificationStatus;
  /** What the target reported (e.g. `certificate_arn`), as the agent sent it. */
  deployMetadata: Record<string, string> | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

function verificationStatusOf(status: JobStatus, verification: DeploymentVerification | null): VerificationStatus {
  if (verification) return verification.verified ? 'verified' : 'failed';
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'dead'
    ? 'not_configured'
    : 'pending';
}

/**
 * Deployment history, newest first. The version of a deployment is the one it was queued for; for
 * those queued by an issuance (which deploy what they just issued) it is the newest version at that time.
 */
export async function listDeployments(
  deps: ServiceDeps,
  filter: { certificateId: string } | { targetId: string },
  page: PageRequest,
): Promise<PageResult<DeploymentRecord>> {
  if ('certificateId' in filter) {
    const exists = await deps.db
      .selectFrom('certificates')
      .select('id')
      .where('id', '=', filter.certificateId)
      .executeTakeFirst();
    if (!exists) throw notFound('certificate', filter.certificateId);
  } else {
    const exists = await deps.db
      .selectFrom('targets')
      .select('id')
      .where('id', '=', filter.targetId)
      .executeTakeFirst();
    if (!exists) throw notFound('target', filter.targetId);
  }
  let query = deps.db.selectFrom('jobs').where('jobs.type', '=', 'deployment');
  query =
    'certificateId' in filter
      ? query.where('jobs.certificateId', '=', filter.certificateId)
      : query.where('jobs.targetId', '=', filter.targetId);
  const rows = await query
    .innerJoin('certificates', 'certificates.id', 'jobs.certificateId')
    .leftJoin('targets', 'targets.id', 'jobs.targetId')
    .leftJoin('certificateVersions as v', (join) =>
      join.on((eb) =>
        eb(
          'v.id',
          '=',
          eb.fn.coalesce(
            'jobs.resultVersionId',
            eb
              .selectFrom('certificateVersions as w')
              .select('w.id')
              .whereRef('w.certificateId', '=', 'jobs.certificateId')
              .whereRef('w.createdAt', '<=', 'jobs.createdAt')
              .orderBy('w.version', 'desc')
              .limit(1),
          ),
        ),
      ),
    )
    .select([
      'jobs.id as jobId',
      'jobs.certificateId',
      'certificates.name as certificateName',
      'jobs.targetId',
      'targets.name as targetName',
      'targets.type as targetType',
      'jobs.agentId',
      'jobs.status',
      'jobs.trigger',
      'jobs.requestedBy',
      'jobs.attempts',
      'jobs.lastError',
      'v.id as versionId',
      'v.serial',
      'v.fingerprintSha256',
      'jobs.verification',
      'jobs.deployMetadata',
      'jobs.createdAt',
      'jobs.startedAt',
      'jobs.completedAt',
    ])
    .orderBy('jobs.createdAt', 'desc')
    .orderBy('jobs.id')
    .limit(page.perPage)
    .offset(offsetOf(page))
    .execute();
  const count = await query.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return {
    data: rows.map(({ verification, ...row }) => ({
      ...row,
      versionId: row.versionId ?? null,
      serial: row.serial ?? null,
      fingerprintSha256: row.fingerprintSha256 ?? null,
      verificationStatus: verificationStatusOf(row.status, verification),
    })),
    total: Number(count.n),
    ...page,
  };
}

export interface JobVerification {
  jobId: string;
  certificateId: string;
  targetId: string | null;
  jobStatus: JobStatus;
  status: VerificationStatus;
  endpoint: string | null;
  expectedFingerprint: string | null;
  actualFingerprint: string | null;
  verified: boolean | null;
  detail: string | null;
  verifiedAt: string | null;
}

/** What the agent checked after deploying: the endpoint's TLS handshake and the fingerprint it served. */
export async function jobVerification(deps: ServiceDeps, jobId: string): Promise<JobVerification> {
  const job = await deps.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  if (!job) throw notFound('job', jobId);
  if (job.type !== 'deployment') throw conflict(`job ${jobId} is a ${job.type} job; only deployments are verified`);
  const v = job.verification;
  return {
    jobId: job.id,
    certificateId: job.certificateId,
    targetId: job.targetId,
    jobStatus: job.status,
    status: verificationStatusOf(job.status, v),
    endpoint: v?.endpoint ?? null,
    expectedFingerprint: v?.expected_fingerprint ?? null,
    actualFingerprint: v?.actual_fingerprint ?? null,
    verified: v?.verified ?? null,
    detail: v?.detail ?? null,
    verifiedAt: v?.verified_at ?? null,
  };
}
