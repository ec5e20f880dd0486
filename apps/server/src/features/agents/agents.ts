import { sql } from 'kysely';
import { newId } from '../../db/ids.js';
import type { Agent, DeploymentVerification, Job, Target } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { type RejectedTargetType, type ReportedTargetType, recordAgentTargetTypes } from './agent-target-types.js';
import { insertApiKey } from '../../shared/api-keys.js';
import { recordAudit } from '../../shared/audit.js';
import { notifyCertificateEvent } from '../certificates/certificate-events.js';
import { resolveAgentOffline } from './agent-alerts.js';
import { currentVersion, getCertificate } from '../certificates/certificates.js';
import { submitCsr } from '../issuance/issuance-requests.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, forbidden, notFound } from '../../shared/service-errors.js';
import { decryptedTargetConfig, learnTargetConfig } from './targets.js';
import { targetsServedThroughGroups } from '../agent-groups/agent-groups.js';
import { retiredError } from '../agent-retirement/agent-retirement.js';
import { inTransaction } from '../../shared/transaction.js';
import { agentHttp01Work } from '../agent-http01/agent-http01.js';
import type { Http01Token } from '../agent-http01/agent-http01-tables.js';

export interface AgentMetadata {
  hostname?: string;
  os?: string;
  architecture?: string;
  ipAddress?: string;
  version?: string;
  /** The target connectors installed on the agent, with their config JSON Schemas; absent: keep what it reported before. */
  targetTypes?: ReportedTargetType[];
}

/** Registers an agent and gives it its own API key (role `agent`), shown once. */
export function registerAgent(
  deps: ServiceDeps,
  actor: Actor,
  input: { name: string } & AgentMetadata,
): Promise<{ agent: Agent; apiKey: string; rejectedTargetTypes: RejectedTargetType[] }> {
  return inTransaction(deps, async (trx) => {
    const agent = await trx
      .insertInto('agents')
      .values({
        id: newId('agent'),
        name: input.name,
        hostname: input.hostname ?? '',
        os: input.os ?? '',
        architecture: input.architecture ?? '',
        ipAddress: input.ipAddress ?? '',
        version: input.version ?? '',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const { key } = await insertApiKey(trx, {
      name: `agent:${agent.name}`,
      role: 'agent',
      agentId: agent.id,
      createdBy: actor.name,
    });
    const rejectedTargetTypes = input.targetTypes
      ? await recordAgentTargetTypes(trx, deps, agent.id, input.targetTypes)
      : [];
    await recordAudit(
      trx,
      actor,
      'agent_registered',
      { type: 'agent', id: agent.id },
      {
        name: agent.name,
        hostname: agent.hostname,
        ...(input.targetTypes && { target_types: input.targetTypes.map((t) => t.type) }),
      },
    );
    return { agent, apiKey: key, rejectedTargetTypes };
  });
}

export async function listAgents(
  deps: ServiceDeps,
  filters: { includeRetired?: boolean },
  page: PageRequest,
): Promise<PageResult<Agent>> {
  let query = deps.db.selectFrom('agents');
  if (!filters.includeRetired) query = query.where('retiredAt', 'is', null);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getAgent(deps: ServiceDeps, id: string): Promise<Agent> {
  const row = await deps.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('agent', id);
  return row;
}

/** The agent, refused (410) once retired. */
export async function activeAgent(deps: ServiceDeps, id: string): Promise<Agent> {
  const agent = await getAgent(deps, id);
  if (agent.retiredAt) throw await retiredError(deps.db, id);
  return agent;
}

export function assertAgentSelf(actor: Actor, agentId: string): void {
  if (actor.role === 'agent' && actor.agentId !== agentId)
    throw forbidden(`this key belongs to agent ${actor.agentId}, not ${agentId}`);
}

export async function heartbeat(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  metadata: AgentMetadata,
): Promise<Agent & { rejectedTargetTypes?: RejectedTargetType[] }> {
  assertAgentSelf(actor, agentId);
  const before = await activeAgent(deps, agentId);
  const rejectedTargetTypes = metadata.targetTypes
    ? await inTransaction(deps, (trx) => recordAgentTargetTypes(trx, deps, agentId, metadata.targetTypes ?? []))
    : undefined;
  const agent = await deps.db
    .updateTable('agents')
    .set({
      status: 'online',
      lastHeartbeatAt: deps.now(),
      updatedAt: deps.now(),
      ...(metadata.hostname !== undefined && { hostname: metadata.hostname }),
      ...(metadata.os !== undefined && { os: metadata.os }),
      ...(metadata.architecture !== undefined && { architecture: metadata.architecture }),
      ...(metadata.ipAddress !== undefined && { ipAddress: metadata.ipAddress }),
      ...(metadata.version !== undefined && { version: metadata.version }),
    })
    .where('id', '=', agentId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (before.status === 'offline') await resolveAgentOffline(deps.db, deps, before);
  return rejectedTargetTypes?.length ? { ...agent, rejectedTargetTypes } : agent;
}

export interface WorkItem {
  jobId: string;
  type: 'csr' | 'deployment' | 'http01';
  certificateId: string;
  commonName: string;
  sans: string[];
  keyAlgorithm?: string;
  targetId?: string;
  targetType?: string;
  targetConfig?: Record<string, unknown>;
  challengeId?: string;
  http01Tokens?: Http01Token[];
  expiresAt?: Date;
}

/**
 * An agent's work: certificates waiting for a CSR from it (not claimed: the CSR itself moves them
 * on), HTTP-01 tokens to serve for ACME orders (listed until the order is over), and deployment jobs for its targets, claimed with SKIP LOCKED and a lease so two pollers of
 * the same agent never deploy twice.
 */
export async function agentWork(deps: ServiceDeps, actor: Actor, agentId: string): Promise<WorkItem[]> {
  assertAgentSelf(actor, agentId);
  await activeAgent(deps, agentId);
  const csrJobs = await deps.db
    .selectFrom('jobs')
    .innerJoin('certificates', 'certificates.id', 'jobs.certificateId')
    .leftJoin('certificateProfiles', 'certificateProfiles.id', 'certificates.profileId')
    .select([
      'jobs.id as jobId',
      'certificates.id as certificateId',
      'certificates.commonName',
      'certificates.sans',
      'certificateProfiles.allowedKeyAlgorithms',
    ])
    .where('jobs.agentId', '=', agentId)
    .where('jobs.status', '=', 'awaiting_csr')
    .execute();
  // The server's clock, not the database's: leases are compared with what deps.now() wrote.
  const now = deps.now();
  const leaseEnd = new Date(now.getTime() + deps.settings.jobLeaseMs);
  const claimed = await sql<Job>`
    UPDATE jobs SET status = 'running', lease_owner = ${`agent:${agentId}`}, lease_expires_at = ${leaseEnd}::timestamptz,
      attempts = attempts + 1, started_at = coalesce(started_at, ${now}::timestamptz), updated_at = ${now}::timestamptz
    WHERE id IN (
      SELECT id FROM jobs WHERE agent_id = ${agentId} AND type = 'deployment'
        AND (status = 'pending' OR (status = 'running' AND lease_expires_at < ${now}::timestamptz))
      ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(deps.db);
  const targetIds = claimed.rows.map((j) => j.targetId).filter((t): t is string => Boolean(t));
  const targets = targetIds.length
    ? await deps.db.selectFrom('targets').selectAll().where('id', 'in', targetIds).execute()
    : [];
  const groupServed = await targetsServedThroughGroups(deps.db, agentId, targetIds);
  const certIds = claimed.rows.map((j) => j.certificateId);
  const certs = certIds.length
    ? await deps.db.selectFrom('certificates').select(['id', 'commonName', 'sans']).where('id', 'in', certIds).execute()
    : [];
  const http01 = await agentHttp01Work(deps.db, agentId);
  return [
    ...http01.map((c) => ({
      jobId: c.jobId,
      type: 'http01' as const,
      certificateId: c.certificateId,
      commonName: c.commonName,
      sans: c.sans,
      challengeId: c.challengeId,
      http01Tokens: c.tokens,
      expiresAt: c.expiresAt,
    })),
    ...csrJobs.map((j) => ({
      jobId: j.jobId,
      type: 'csr' as const,
      certificateId: j.certificateId,
      commonName: j.commonName,
      sans: j.sans,
      keyAlgorithm: j.allowedKeyAlgorithms?.[0]
        ? `${j.allowedKeyAlgorithms[0].algorithm}${j.allowedKeyAlgorithms[0].min_size ? `-${j.allowedKeyAlgorithms[0].min_size}` : ''}`
        : 'ECDSA-256',
    })),
    ...claimed.rows.map((j) => {
      const target = targets.find((t) => t.id === j.targetId);
      const cert = certs.find((c) => c.id === j.certificateId);
      return {
        jobId: j.id,
        type: 'deployment' as const,
        certificateId: j.certificateId,
        commonName: cert?.commonName ?? '',
        sans: cert?.sans ?? [],
        targetId: target?.id,
        targetType: target?.type,
        targetConfig: target && ownedConfig(deps, agentId, target, groupServed),
      };
    }),
  ];
}

/**
 * The target's config with secrets decrypted, only for the agent that owns the target now (a job
 * queued before the target moved to another agent gets none, and fails on the agent).
 */
function ownedConfig(
  deps: ServiceDeps,
  agentId: string,
  target: Target,
  groupServed: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  if (target.agentId !== agentId && !groupServed.has(target.id)) return undefined;
  try {
    return decryptedTargetConfig(deps, target);
  } catch (error) {
    deps.logger.error(
      { target_id: target.id, error: error instanceof Error ? error.message : String(error) },
      'target config does not decrypt; the deployment gets no config',
    );
    return undefined;
  }
}

async function servesThroughGroup(deps: ServiceDeps, agentId: string, certificateId: string): Promise<boolean> {
  const targets = await deps.db
    .selectFrom('certificateTargets')
    .select('targetId')
    .where('certificateId', '=', certificateId)
    .execute();
  const served = await targetsServedThroughGroups(
    deps.db,
    agentId,
    targets.map((t) => t.targetId),
  );
  return served.size > 0;
}

async function assertServes(deps: ServiceDeps, agentId: string, certificateId: string): Promise<void> {
  const certificate = await getCertificate(deps.db, certificateId);
  if (certificate.agentId === agentId) return;
  const mapped = await deps.db
    .selectFrom('certificateTargets')
    .innerJoin('targets', 'targets.id', 'certificateTargets.targetId')
    .select('targets.id')
    .where('certificateTargets.certificateId', '=', certificateId)
    .where('targets.agentId', '=', agentId)
    .executeTakeFirst();
  if (!mapped && !(await servesThroughGroup(deps, agentId, certificateId)))
    throw forbidden(`certificate ${certificateId} is not served by agent ${agentId}`);
}

export async function agentSubmitCsr(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  certificateId: string,
  csrPem: string,
): Promise<Job> {
  assertAgentSelf(actor, agentId);
  await activeAgent(deps, agentId);
  await assertServes(deps, agentId, certificateId);
  return submitCsr(deps, actor, certificateId, csrPem);
}

export async function agentCertificate(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  certificateId: string,
): Promise<{ certificatePem: string; chainPem: string; serial: string }> {
  assertAgentSelf(actor, agentId);
  await activeAgent(deps, agentId);
  await assertServes(deps, agentId, certificateId);
  const version = await currentVersion(deps.db, await getCertificate(deps.db, certificateId));
  if (!version) throw notFound('issued version of certificate', certificateId);
  return { certificatePem: version.certificatePem, chainPem: version.chainPem, serial: version.serial };
}

/** An agent reports on a job it runs: running (extends the lease), succeeded or failed. */
export async function agentJobStatus(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  jobId: string,
  report: {
    status: 'running' | 'succeeded' | 'failed';
    error?: string;
    verification?: DeploymentVerification;
    /** What the target reported about the deployment (e.g. ACM's `certificate_arn`); agents before it send none. */
    metadata?: Record<string, string>;
    rollback?: 'restored' | 'failed';
  },
): Promise<Job> {
  assertAgentSelf(actor, agentId);
  await activeAgent(deps, agentId);
  let rolledBack: { targetType: string; result: 'restored' | 'failed' } | undefined;
  const updated = await inTransaction(deps, async (trx) => {
    const job = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
    if (!job || job.agentId !== agentId) throw notFound('job of this agent', jobId);
    const allowed = job.type === 'deployment' ? ['running', 'pending'] : ['awaiting_csr'];
    if (!allowed.includes(job.status)) throw conflict(`job ${jobId} is ${job.status}`);
    if (job.type !== 'deployment' && report.status !== 'failed')
      throw conflict(`job ${jobId} moves on when the agent submits its CSR`);
    const terminal = report.status !== 'running';
    const updated = await trx
      .updateTable('jobs')
      .set({
        status: report.status,
        lastError: report.error ?? null,
        ...(report.verification && { verification: JSON.stringify(report.verification) }),
        ...(job.type === 'deployment' && report.metadata && { deployMetadata: JSON.stringify(report.metadata) }),
        updatedAt: deps.now(),
        ...(terminal
          ? { completedAt: deps.now(), leaseOwner: null, leaseExpiresAt: null }
          : { leaseExpiresAt: new Date(deps.now().getTime() + deps.settings.jobLeaseMs) }),
      })
      .where('id', '=', jobId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const learned =
      job.type === 'deployment' && report.status === 'succeeded' && report.metadata && job.targetId
        ? await learnTargetConfig(deps, trx, job.targetId, report.metadata)
        : [];
    if (job.type !== 'deployment' && report.status === 'failed') {
      await trx
        .updateTable('certificates')
        .set({ status: 'failed', updatedAt: deps.now() })
        .where('id', '=', job.certificateId)
        .where('status', 'in', ['pending', 'renewal_in_progress'])
        .execute();
    }
    await recordAudit(
      trx,
      actor,
      'job_status_reported',
      { type: 'job', id: jobId },
      {
        status: report.status,
        error: report.error,
        certificate_id: job.certificateId,
        ...(report.verification && { verified: report.verification.verified, endpoint: report.verification.endpoint }),
        ...(report.metadata && { deploy_metadata: report.metadata }),
        ...(learned.length > 0 && { target_config_learned: learned }),
        ...(report.rollback && { rollback: report.rollback }),
      },
    );
    if (report.status === 'failed')
      await notifyCertificateEvent(trx, deps, {
        certificateId: job.certificateId,
        event: job.type === 'deployment' ? 'deploy_failed' : 'renewal_failed',
        occurrence: jobId,
        detail: report.error,
      });
    if (report.status === 'failed' && report.rollback && job.type === 'deployment' && job.targetId) {
      const target = await trx.selectFrom('targets').select('type').where('id', '=', job.targetId).executeTakeFirst();
      rolledBack = { targetType: target?.type ?? 'unknown', result: report.rollback };
    }
    return updated;
  });
  // Counted once the report is committed (a retried transaction counts once).
  if (rolledBack) deps.metrics.deployRollbacks.inc({ target_type: rolledBack.targetType, result: rolledBack.result });
  return updated;
}
