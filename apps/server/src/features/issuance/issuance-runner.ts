import { fullJitterDelay } from '@certctl/connector-utils';
import { ConnectorError, type IssueRequest, type OrderResult, VendorApiError, isRetryable } from '@certctl/core';
import { certificateFingerprint, readCertificateSummary } from '@certctl/pki';
import { newId } from '../../db/ids.js';
import { nextCaOrderCheck } from './ca-order-backoff.js';
import { deploymentAgents } from '../agent-groups/agent-groups.js';
import type { Certificate, Job } from '../../db/tables.js';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { notifyCertificateEvent } from '../certificates/certificate-events.js';
import { toSubjectAltNames } from '../certificates/certificate-names.js';
import { statusByExpiry } from '../certificates/certificate-status.js';
import { currentVersion } from '../certificates/certificates.js';
import { LeaseLostError, settleJob } from '../../scheduler/job-queue.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { inTransaction } from '../../shared/transaction.js';
import { closeAgentHttp01, http01Progress, requestAgentHttp01 } from '../agent-http01/agent-http01.js';

/** Longest wait before retrying a failed issuance. */
const MAX_RETRY_DELAY_MS = 3_600_000;

export type JobOutcome = 'succeeded' | 'waiting_on_ca' | 'retry' | 'failed' | 'cancelled' | 'lease_lost';

export interface IssuanceRunOptions {
  /** How long agents have to serve an order's HTTP-01 tokens (`http_served_by: agent`). */
  agentHttp01TimeoutMs: number;
}
const DEFAULT_RUN_OPTIONS: IssuanceRunOptions = { agentHttp01TimeoutMs: 900_000 };

/**
 * Runs one claimed issuance/renewal job to its next state. The CA is called outside any
 * transaction; the result is stored in one transaction that also checks this replica still holds
 * the lease, so a job taken over after a crash is never completed twice.
 */
export async function runIssuanceJob(
  deps: ServiceDeps,
  job: Job,
  options: IssuanceRunOptions = DEFAULT_RUN_OPTIONS,
): Promise<JobOutcome> {
  const started = performance.now();
  const certificate = await deps.db
    .selectFrom('certificates')
    .selectAll()
    .where('id', '=', job.certificateId)
    .executeTakeFirst();
  let issuerType: string | undefined;
  try {
    if (!certificate || certificate.status === 'archived' || certificate.status === 'revoked') {
      await inTransaction(deps, async (trx) => {
        await settleJob(trx, job, deps, {
          status: 'cancelled',
          lastError: `certificate is ${certificate?.status ?? 'gone'}`,
        });
        await closeAgentHttp01(trx, job.id, deps.now());
      });
      return 'cancelled';
    }
    const issuer = await deps.db
      .selectFrom('issuers')
      .select(['type', 'enabled', 'config'])
      .where('id', '=', certificate.issuerId)
      .executeTakeFirst();
    issuerType = issuer?.type;
    if (!issuer?.enabled)
      throw new ConnectorError({
        message: `issuer ${certificate.issuerId} is ${issuer ? 'disabled' : 'missing'}`,
        retryable: false,
      });
    const runtime = await deps.issuers.get(certificate.issuerId);
    let result: OrderResult;
    const http01 = await http01Progress(deps.db, job);
    if (job.caOrderId) {
      if (http01.state === 'failed') throw new ConnectorError({ message: http01.reason, retryable: false });
      if (http01.state === 'waiting') {
        if (http01.expiresAt.getTime() <= deps.now().getTime())
          throw new ConnectorError({
            message: `agent ${http01.agents.join(', ')} did not serve the HTTP-01 tokens of CA order ${job.caOrderId} by ${http01.expiresAt.toISOString()}; check that the agent runs and has CERTCTL_HTTP01_WEBROOT set (docs/issuer-acme.md)`,
            retryable: false,
          });
        // Woken before the agents answered (a lease taken over): wait for them again, without asking the CA.
        await inTransaction(deps, (trx) =>
          settleJob(trx, job, deps, { status: 'waiting_on_ca', nextRunAt: http01.expiresAt }),
        );
        return 'waiting_on_ca';
      }
      result = await runtime.getOrder(job.caOrderId, { challengesPresented: http01.state === 'served' });
    } else {
      const request = await buildIssueRequest(deps, certificate, job);
      result = job.type === 'renewal' ? await runtime.renew(request) : await runtime.issue(request);
    }
    if (result.status === 'issued') {
      await deps.faultHook?.('issuance.after-ca', `${job.type}:${job.id}`);
      await storeIssued(deps, job, certificate, result);
      deps.metrics.issuanceTotal.inc({ issuer_type: issuer.type, outcome: 'issued' });
      deps.metrics.issuanceDuration.observe({ issuer_type: issuer.type }, (performance.now() - started) / 1000);
      return 'succeeded';
    }
    if (result.status === 'pending') {
      const waitMs = caOrderWaitMs(issuer.config, deps.settings.caOrderTimeoutMs);
      const deadline = job.caOrderDeadline ?? new Date(deps.now().getTime() + waitMs);
      if (deadline.getTime() <= deps.now().getTime())
        throw new ConnectorError({
          message: `CA order ${result.orderId} did not complete before its deadline (${result.detail ?? 'still pending'}); look it up at the CA, or raise the issuer's poll_max_wait_seconds`,
          retryable: false,
        });
      const challenges = http01.state === 'served' ? [] : (result.challenges ?? []);
      const state = result.detail ?? null;
      const next = nextCaOrderCheck({
        following: job.caOrderId === result.orderId,
        previousState: job.caOrderState,
        previousPolls: job.caOrderPolls,
        state,
        retryAfterSeconds: result.retryAfterSeconds,
        now: deps.now(),
        deadline,
      });
      await inTransaction(deps, async (trx) => {
        // Challenges only the target host can serve: its agents get them, and the job waits for their answer.
        const agentWait = challenges.length
          ? await requestAgentHttp01(trx, {
              job,
              certificate,
              orderId: result.orderId,
              challenges,
              expiresAt: new Date(Math.min(deadline.getTime(), deps.now().getTime() + options.agentHttp01TimeoutMs)),
            })
          : undefined;
        await settleJob(trx, job, deps, {
          status: 'waiting_on_ca',
          caOrderId: result.orderId,
          caOrderDeadline: deadline,
          caOrderState: state,
          caOrderPolls: next.polls,
          nextRunAt: agentWait?.expiresAt ?? next.at,
          lastError: agentWait
            ? `waiting for agent ${agentWait.agents.join(', ')} to serve HTTP-01 for ${challenges.map((c) => c.identifier).join(', ')} (until ${agentWait.expiresAt.toISOString()})`
            : (result.detail ?? null),
        });
        if (!job.caOrderId)
          await recordAudit(
            trx,
            SYSTEM_ACTOR,
            'ca_order_pending',
            { type: 'certificate', id: certificate.id },
            { job_id: job.id, order_id: result.orderId },
          );
      });
      return 'waiting_on_ca';
    }
    throw new ConnectorError({ message: `CA order ${result.orderId} failed: ${result.reason}`, retryable: false });
  } catch (error) {
    if (error instanceof LeaseLostError) return 'lease_lost';
    return recordFailure(deps, job, certificate, issuerType, error);
  }
}

/** How long a pending CA order is followed: the issuer's `poll_max_wait_seconds` when its connector has one. */
function caOrderWaitMs(config: Record<string, unknown>, fallbackMs: number): number {
  const seconds = config.poll_max_wait_seconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallbackMs;
}

async function buildIssueRequest(deps: ServiceDeps, certificate: Certificate, job: Job): Promise<IssueRequest> {
  if (!job.csrPem) throw new ConnectorError({ message: `job ${job.id} has no CSR`, retryable: false });
  const profile = certificate.profileId
    ? await deps.db
        .selectFrom('certificateProfiles')
        .selectAll()
        .where('id', '=', certificate.profileId)
        .executeTakeFirst()
    : undefined;
  const previous = job.type === 'renewal' ? await currentVersion(deps.db, certificate) : undefined;
  return {
    csrPem: job.csrPem,
    commonName: certificate.commonName,
    sans: toSubjectAltNames(certificate.commonName, certificate.sans),
    extKeyUsages: profile?.allowedEkus ?? [],
    maxTtlSeconds: profile?.maxTtlSeconds ? profile.maxTtlSeconds : undefined,
    mustStaple: profile?.mustStaple ?? false,
    profile: profile?.name,
    requestId: job.id,
    replacesCertificatePem: previous?.certificatePem,
    metadata: {
      certificate_id: certificate.id,
      job_id: job.id,
      ...(certificate.environment && { environment: certificate.environment }),
      // The CA order of the version being replaced, so a CA with renewal orders links them.
      ...(previous?.caOrderId && { previous_order_id: previous.caOrderId }),
    },
  };
}

async function storeIssued(
  deps: ServiceDeps,
  job: Job,
  certificate: Certificate,
  issued: Extract<OrderResult, { status: 'issued' }>,
): Promise<void> {
  // Serial, validity and key from one DER walk: a full parseCertificate costs more than the signing.
  const parsed = readCertificateSummary(issued.certificatePem);
  const fingerprint = certificateFingerprint(parsed.der).hex;
  await inTransaction(deps, async (trx) => {
    const last = await trx
      .selectFrom('certificateVersions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('certificateId', '=', certificate.id)
      .executeTakeFirst();
    const versionId = newId('version');
    await trx
      .insertInto('certificateVersions')
      .values({
        id: versionId,
        certificateId: certificate.id,
        version: Number(last?.v ?? 0) + 1,
        issuerId: certificate.issuerId,
        serial: parsed.serialNumber,
        notBefore: parsed.notBefore,
        notAfter: parsed.notAfter,
        fingerprintSha256: fingerprint,
        certificatePem: parsed.pem,
        chainPem: issued.chainPem.join(''),
        csrPem: job.csrPem,
        keyAlgorithm: parsed.publicKey.name ?? parsed.publicKey.type,
        keySize: parsed.publicKey.bits || null,
        jobId: job.id,
        caOrderId: issued.orderId ?? job.caOrderId,
      })
      .execute();
    await settleJob(trx, job, deps, { status: 'succeeded', lastError: null, resultVersionId: versionId });
    await closeAgentHttp01(trx, job.id, deps.now());
    const policy = await trx
      .selectFrom('renewalPolicies')
      .select('renewalWindowDays')
      .where('id', '=', certificate.renewalPolicyId)
      .executeTakeFirst();
    await trx
      .updateTable('certificates')
      .set({
        status: statusByExpiry('active', parsed.notAfter, deps.now(), policy?.renewalWindowDays ?? 30),
        expiresAt: parsed.notAfter,
        currentVersionId: versionId,
        ...(job.type === 'renewal' && { lastRenewalAt: deps.now() }),
        updatedAt: deps.now(),
      })
      .where('id', '=', certificate.id)
      .where('status', 'not in', ['revoked', 'archived'])
      .execute();
    // Deployment work for every target an agent (or each member of the target's agent group) serves; agents pick it up from /agents/{id}/work.
    const targets = await trx
      .selectFrom('certificateTargets')
      .innerJoin('targets', 'targets.id', 'certificateTargets.targetId')
      .select(['targets.id', 'targets.agentId'])
      .where('certificateTargets.certificateId', '=', certificate.id)
      .where('targets.enabled', '=', true)
      .execute();
    for (const target of targets) {
      for (const agentId of await deploymentAgents(trx, target))
        await trx
          .insertInto('jobs')
          .values({
            id: newId('job'),
            type: 'deployment',
            certificateId: certificate.id,
            targetId: target.id,
            agentId,
            status: 'pending',
            requestedBy: 'system',
            trigger: 'issued',
          })
          .execute();
    }
    await recordAudit(
      trx,
      SYSTEM_ACTOR,
      job.type === 'renewal' ? 'renewal_job_completed' : 'issuance_job_completed',
      { type: 'certificate', id: certificate.id },
      {
        job_id: job.id,
        serial: parsed.serialNumber,
        not_after: parsed.notAfter.toISOString(),
        fingerprint_sha256: fingerprint,
      },
    );
    await notifyCertificateEvent(trx, deps, {
      certificateId: certificate.id,
      event: job.type === 'renewal' ? 'renewed' : 'issued',
      occurrence: versionId,
    });
  });
}

async function recordFailure(
  deps: ServiceDeps,
  job: Job,
  certificate: Certificate | undefined,
  /** The issuer's connector type (the metric label), when the issuer was found. */
  issuerType: string | undefined,
  error: unknown,
): Promise<JobOutcome> {
  const message = error instanceof Error ? error.message : String(error);
  const policy = certificate
    ? await deps.db
        .selectFrom('renewalPolicies')
        .select('retryIntervalSeconds')
        .where('id', '=', certificate.renewalPolicyId)
        .executeTakeFirst()
    : undefined;
  const retry = isRetryable(error) && job.attempts < job.maxAttempts;
  deps.logger.warn({ job_id: job.id, attempt: job.attempts, retry, error: message }, 'issuance job failed');
  try {
    await inTransaction(deps, async (trx) => {
      if (retry) {
        // Never sooner than a rate-limited CA asked (its Retry-After), however small the backoff drew.
        const retryAfterMs = Math.min((retryAfterSecondsOf(error) ?? 0) * 1000, MAX_RETRY_DELAY_MS);
        const delay = Math.max(
          retryAfterMs,
          fullJitterDelay(job.attempts, (policy?.retryIntervalSeconds ?? 60) * 1000, MAX_RETRY_DELAY_MS),
        );
        await settleJob(trx, job, deps, {
          status: 'pending',
          lastError: message,
          nextRunAt: new Date(deps.now().getTime() + delay),
          caOrderId: job.caOrderId,
        });
        await recordAudit(
          trx,
          SYSTEM_ACTOR,
          'job_retry_scheduled',
          { type: 'job', id: job.id },
          { attempt: job.attempts, delay_ms: delay, error: message },
        );
        return;
      }
      await settleJob(trx, job, deps, { status: 'failed', lastError: message });
      await closeAgentHttp01(trx, job.id, deps.now());
      if (certificate)
        await trx
          .updateTable('certificates')
          .set({ status: 'failed', updatedAt: deps.now() })
          .where('id', '=', certificate.id)
          .where('status', 'in', ['pending', 'renewal_in_progress'])
          .execute();
      await recordAudit(
        trx,
        SYSTEM_ACTOR,
        job.type === 'renewal' ? 'renewal_job_failed' : 'issuance_job_failed',
        { type: 'certificate', id: job.certificateId },
        { job_id: job.id, attempts: job.attempts, error: message },
      );
      await notifyCertificateEvent(trx, deps, {
        certificateId: job.certificateId,
        event: 'renewal_failed',
        occurrence: job.id,
        detail: message,
      });
    });
  } catch (settleError) {
    if (settleError instanceof LeaseLostError) return 'lease_lost';
    throw settleError;
  }
  if (!retry) deps.metrics.issuanceTotal.inc({ issuer_type: issuerType ?? 'unknown', outcome: 'failed' });
  return retry ? 'retry' : 'failed';
}

function retryAfterSecondsOf(error: unknown): number | undefined {
  return VendorApiError.isInstance(error) ? error.retryAfterSeconds : undefined;
}
