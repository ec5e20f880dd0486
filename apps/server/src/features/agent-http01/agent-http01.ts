/**
 * HTTP-01 served by the agent on the target host (ACME issuer with `http_served_by: agent`). When
 * the CA order comes back pending with challenges, every agent that serves the certificate's
 * targets gets a work item with the tokens; it writes them under its webroot and says `served`.
 * Once all of them have, the job runs again and asks the CA to validate; when the job ends the
 * items are closed and the agents remove the files. An agent that fails, or does not answer
 * before the deadline, fails the job with its reason.
 */
import { ConnectorError, type DelegatedChallenge } from '@certctl/core';
import type { Executor } from '../../db/open-database.js';
import { newId } from '../../db/ids.js';
import type { Certificate, Job, JobStatus } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { deploymentAgents } from '../agent-groups/agent-groups.js';
import type { AgentHttp01Status, Http01Token } from './agent-http01-tables.js';

const OPEN_JOB: JobStatus[] = ['pending', 'running', 'waiting_on_ca'];

/** The agents that serve the certificate's enabled targets (each member of a target's group); else the agent making its CSR. */
export async function servingAgents(db: Executor, certificate: Pick<Certificate, 'id' | 'agentId'>): Promise<string[]> {
  const targets = await db
    .selectFrom('certificateTargets')
    .innerJoin('targets', 'targets.id', 'certificateTargets.targetId')
    .select(['targets.id', 'targets.agentId'])
    .where('certificateTargets.certificateId', '=', certificate.id)
    .where('targets.enabled', '=', true)
    .execute();
  const agents = new Set<string>();
  for (const target of targets) for (const agentId of await deploymentAgents(db, target)) agents.add(agentId);
  if (agents.size === 0 && certificate.agentId) agents.add(certificate.agentId);
  if (agents.size === 0) return [];
  const active = await db
    .selectFrom('agents')
    .select('id')
    .where('id', 'in', [...agents])
    .where('retiredAt', 'is', null)
    .execute();
  return active.map((a) => a.id).sort();
}

export type Http01Progress =
  | { state: 'none' }
  | { state: 'waiting'; agents: string[]; expiresAt: Date }
  | { state: 'served' }
  | { state: 'failed'; reason: string };

/** Where the agents stand on the job's current CA order. */
export async function http01Progress(db: Executor, job: Pick<Job, 'id' | 'caOrderId'>): Promise<Http01Progress> {
  if (!job.caOrderId) return { state: 'none' };
  const rows = await db
    .selectFrom('agentHttp01Challenges')
    .select(['agentId', 'status', 'error', 'expiresAt'])
    .where('jobId', '=', job.id)
    .where('orderId', '=', job.caOrderId)
    .where('status', '!=', 'closed')
    .execute();
  if (rows.length === 0) return { state: 'none' };
  const failed = rows.find((r) => r.status === 'failed');
  if (failed)
    return {
      state: 'failed',
      reason: `agent ${failed.agentId} could not serve the HTTP-01 tokens of CA order ${job.caOrderId}: ${failed.error ?? 'no reason given'}`,
    };
  const waiting = rows.filter((r) => r.status === 'pending');
  if (waiting.length === 0) return { state: 'served' };
  return {
    state: 'waiting',
    agents: waiting.map((r) => r.agentId),
    expiresAt: new Date(Math.min(...waiting.map((r) => new Date(r.expiresAt).getTime()))),
  };
}

/**
 * Gives the order's challenges to the agents that serve the certificate (once per order: a second
 * call returns the work already given). Throws when no agent serves the certificate.
 */
export async function requestAgentHttp01(
  trx: Executor,
  input: {
    job: Pick<Job, 'id'>;
    certificate: Pick<Certificate, 'id' | 'agentId'>;
    orderId: string;
    challenges: DelegatedChallenge[];
    expiresAt: Date;
  },
): Promise<{ agents: string[]; expiresAt: Date }> {
  const existing = await trx
    .selectFrom('agentHttp01Challenges')
    .select(['agentId', 'expiresAt'])
    .where('jobId', '=', input.job.id)
    .where('orderId', '=', input.orderId)
    .where('status', 'in', ['pending', 'served'])
    .execute();
  if (existing.length > 0)
    return {
      agents: existing.map((r) => r.agentId),
      expiresAt: new Date(Math.min(...existing.map((r) => new Date(r.expiresAt).getTime()))),
    };
  const agents = await servingAgents(trx, input.certificate);
  if (agents.length === 0)
    throw new ConnectorError({
      message: `certificate ${input.certificate.id} has no target served by an agent, and no agent makes its CSR: an issuer with http_served_by agent needs one to serve the HTTP-01 tokens`,
      retryable: false,
    });
  const tokens: Http01Token[] = input.challenges.map((c) => ({
    identifier: c.identifier,
    token: c.token,
    key_authorization: c.keyAuthorization,
  }));
  for (const agentId of agents) {
    const id = newId('http01Challenge');
    await trx
      .insertInto('agentHttp01Challenges')
      .values({
        id,
        jobId: input.job.id,
        agentId,
        certificateId: input.certificate.id,
        orderId: input.orderId,
        tokens: JSON.stringify(tokens),
        expiresAt: input.expiresAt,
      })
      .execute();
    await recordAudit(
      trx,
      SYSTEM_ACTOR,
      'http01_challenge_requested',
      { type: 'certificate', id: input.certificate.id },
      {
        job_id: input.job.id,
        challenge_id: id,
        agent_id: agentId,
        identifiers: tokens.map((t) => t.identifier),
        expires_at: input.expiresAt.toISOString(),
      },
    );
  }
  return { agents, expiresAt: input.expiresAt };
}

/** The job ended (or its order did): its agents take the files down at their next poll. */
export async function closeAgentHttp01(trx: Executor, jobId: string, now: Date): Promise<void> {
  await trx
    .updateTable('agentHttp01Challenges')
    .set({ status: 'closed', closedAt: now, updatedAt: now })
    .where('jobId', '=', jobId)
    .where('status', '!=', 'closed')
    .execute();
}

export interface Http01WorkItem {
  challengeId: string;
  jobId: string;
  certificateId: string;
  commonName: string;
  sans: string[];
  tokens: Http01Token[];
  expiresAt: Date;
}

/** The agent's open challenges: listed while their job runs, so a challenge no longer listed is one to clean up. */
export async function agentHttp01Work(db: Executor, agentId: string): Promise<Http01WorkItem[]> {
  const rows = await db
    .selectFrom('agentHttp01Challenges')
    .innerJoin('jobs', 'jobs.id', 'agentHttp01Challenges.jobId')
    .innerJoin('certificates', 'certificates.id', 'agentHttp01Challenges.certificateId')
    .select([
      'agentHttp01Challenges.id',
      'agentHttp01Challenges.jobId',
      'agentHttp01Challenges.certificateId',
      'agentHttp01Challenges.tokens',
      'agentHttp01Challenges.expiresAt',
      'certificates.commonName',
      'certificates.sans',
    ])
    .where('agentHttp01Challenges.agentId', '=', agentId)
    .where('agentHttp01Challenges.status', 'in', ['pending', 'served'])
    .where('jobs.status', 'in', OPEN_JOB)
    .orderBy('agentHttp01Challenges.createdAt')
    .execute();
  return rows.map((r) => ({
    challengeId: r.id,
    jobId: r.jobId,
    certificateId: r.certificateId,
    commonName: r.commonName,
    sans: r.sans,
    tokens: r.tokens,
    expiresAt: new Date(r.expiresAt),
  }));
}

/**
 * The agent wrote the files (`served`) or could not (`failed`). When every agent has served, or one
 * failed, the job runs again at once: it asks the CA to validate, or fails with the agent's reason.
 */
export async function reportAgentHttp01(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  challengeId: string,
  report: { status: 'served' | 'failed'; error?: string },
): Promise<{ challengeId: string; jobId: string; status: AgentHttp01Status }> {
  const answer = await inTransaction(deps, async (trx) => {
    const row = await trx
      .selectFrom('agentHttp01Challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.agentId !== agentId) throw notFound('HTTP-01 challenge of this agent', challengeId);
    if (row.status === 'closed' || row.status === 'failed')
      throw conflict(`HTTP-01 challenge ${challengeId} is ${row.status}`);
    const now = deps.now();
    const next: AgentHttp01Status = report.status;
    if (row.status !== next)
      await trx
        .updateTable('agentHttp01Challenges')
        .set({
          status: next,
          updatedAt: now,
          ...(next === 'served' ? { servedAt: now } : { error: report.error?.slice(0, 4000) ?? 'no reason given' }),
        })
        .where('id', '=', challengeId)
        .execute();
    const pending = await trx
      .selectFrom('agentHttp01Challenges')
      .select('id')
      .where('jobId', '=', row.jobId)
      .where('orderId', '=', row.orderId)
      .where('status', '=', 'pending')
      .execute();
    const wake = next === 'failed' || pending.length === 0;
    if (wake)
      await trx
        .updateTable('jobs')
        .set({ nextRunAt: now, updatedAt: now })
        .where('id', '=', row.jobId)
        .where('status', '=', 'waiting_on_ca')
        .execute();
    await recordAudit(
      trx,
      actor,
      next === 'served' ? 'http01_challenge_served' : 'http01_challenge_failed',
      { type: 'certificate', id: row.certificateId },
      { job_id: row.jobId, challenge_id: challengeId, ...(report.error && { error: report.error.slice(0, 1000) }) },
    );
    return { challengeId, jobId: row.jobId, status: next, wake };
  });
  if (answer.wake) deps.notifyJobs();
  return { challengeId: answer.challengeId, jobId: answer.jobId, status: answer.status };
}
