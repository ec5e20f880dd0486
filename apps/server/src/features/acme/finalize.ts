import { isIP } from 'node:net';
import { derToPem } from '@certctl/pki';
import type { AcmeOrder } from './acme-tables.js';
import type { Executor } from '../../db/open-database.js';
import type { Certificate, CertificateProfile, Job } from '../../db/tables.js';
import { recordAudit } from '../../shared/audit.js';
import { insertCertificate } from '../certificates/certificates.js';
import { checkCsrAgainstCertificate, readCsr } from '../policies/csr-policy.js';
import { requestIssuance } from '../issuance/issuance-requests.js';
import { runIssuanceJob } from '../issuance/issuance-runner.js';
import { ServiceError } from '../../shared/service-errors.js';
import { carryAfterRollback, inTransaction } from '../../shared/transaction.js';
import type { AcmeContext } from './acme-context.js';
import { acmeActor } from './acme-actor.js';
import { acmeOwnership } from './acme-ownership.js';
import { identifierKey } from './identifiers.js';
import { refreshOrder } from './orders.js';
import { AcmeProblem, malformed } from './problems.js';
import { findReplacedVersion } from './renewal-info.js';

const OPEN_JOB = ['pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca'] as const;

function badCsr(detail: string): AcmeProblem {
  return new AcmeProblem('badCSR', detail);
}

/** The CSR's names must be exactly the order's identifiers (RFC 8555 7.4). */
async function readOrderCsr(order: AcmeOrder, csrField: unknown) {
  if (typeof csrField !== 'string' || csrField.length === 0 || !/^[A-Za-z0-9_-]+$/.test(csrField))
    throw malformed('finalize needs csr: the base64url DER of a PKCS#10 request');
  const pem = derToPem(new Uint8Array(Buffer.from(csrField, 'base64url')), 'CERTIFICATE REQUEST');
  let csr: Awaited<ReturnType<typeof readCsr>>;
  try {
    csr = await readCsr(pem);
  } catch (error) {
    throw badCsr(error instanceof Error ? error.message.replace(/csr_pem/g, 'CSR') : 'CSR is not valid');
  }
  const requested = new Set<string>();
  for (const san of csr.sans) {
    if (san.type === 'dns') requested.add(`dns:${san.value.toLowerCase()}`);
    else if (san.type === 'ip') requested.add(`ip:${san.value}`);
    else throw badCsr(`the CSR asks for a ${san.type} name; only the order's dns/ip identifiers may be requested`);
  }
  if (csr.commonName)
    requested.add(isIP(csr.commonName) ? `ip:${csr.commonName}` : `dns:${csr.commonName.toLowerCase()}`);
  const ordered = new Set(order.identifiers.map(identifierKey));
  const extra = [...requested].filter((n) => !ordered.has(n));
  const missing = [...ordered].filter((n) => !requested.has(n));
  if (extra.length > 0 || missing.length > 0) {
    throw badCsr(
      `the CSR names must equal the order identifiers${extra.length ? `; not in the order: ${extra.join(', ')}` : ''}${missing.length ? `; missing: ${missing.join(', ')}` : ''}`,
    );
  }
  return { csr, pem };
}

async function reusableCertificate(
  trx: Executor,
  ctx: AcmeContext,
  order: AcmeOrder,
  names: string[],
): Promise<Certificate | undefined> {
  if (order.replaces) {
    const version = await findReplacedVersion(trx, order.replaces);
    if (version)
      return trx.selectFrom('certificates').selectAll().where('id', '=', version.certificateId).executeTakeFirst();
  }
  // A client renewing without ARI: the same account, profile and names continue the same managed certificate.
  const previous = await trx
    .selectFrom('acmeOrders')
    .innerJoin('certificates', 'certificates.id', 'acmeOrders.certificateId')
    .selectAll('certificates')
    .where('acmeOrders.accountId', '=', order.accountId)
    .where('acmeOrders.profileId', '=', order.profileId)
    .where('acmeOrders.status', '=', 'valid')
    .where('certificates.issuerId', '=', ctx.config.issuerId)
    .where('certificates.status', 'not in', ['revoked', 'archived'])
    .orderBy('acmeOrders.createdAt', 'desc')
    .execute();
  const wanted = [...names].sort().join(',');
  return previous.find((c) => [...new Set([c.commonName, ...c.sans])].sort().join(',') === wanted);
}

/** Claims one job for this replica (as the job runner would) so the order can be issued while the client waits. */
async function claimJob(ctx: AcmeContext, jobId: string): Promise<Job | undefined> {
  const { deps } = ctx;
  return deps.db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      leaseOwner: deps.replicaId,
      leaseExpiresAt: new Date(deps.now().getTime() + deps.settings.jobLeaseMs),
      attempts: eb('attempts', '+', 1),
      startedAt: deps.now(),
      updatedAt: deps.now(),
    }))
    .where('id', '=', jobId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

/**
 * RFC 8555 7.4 finalize: checks the CSR against the order and the profile, then issues through the
 * platform's certificate service: a managed certificate (new, or the one being renewed), an
 * issuance job with its approval gate and audit trail. The job runs here when it can (the client
 * then sees `valid` at once); otherwise the order stays `processing` until the job runner finishes.
 */
export async function finalizeOrder(
  ctx: AcmeContext,
  order: AcmeOrder,
  payload: Record<string, unknown> | undefined,
  requestId: string,
): Promise<AcmeOrder> {
  if (order.status !== 'ready') throw new AcmeProblem('orderNotReady', `order is ${order.status}, not ready`);
  const { csr, pem } = await readOrderCsr(order, payload?.csr);
  const { deps } = ctx;
  const actor = acmeActor(order.accountId, requestId);
  const profile = (await deps.db
    .selectFrom('certificateProfiles')
    .selectAll()
    .where('id', '=', order.profileId)
    .executeTakeFirst()) as CertificateProfile | undefined;
  const names = order.identifiers.map((i) => i.value);
  const commonName = csr.commonName ?? names[0]!;
  try {
    checkCsrAgainstCertificate(csr, { commonName, sans: names }, profile);
  } catch (error) {
    if (error instanceof ServiceError) throw badCsr(error.message);
    throw error;
  }
  const issuer = await deps.db
    .selectFrom('issuers')
    .select(['id', 'enabled'])
    .where('id', '=', ctx.config.issuerId)
    .executeTakeFirst();
  if (!issuer?.enabled)
    throw new AcmeProblem('serverInternal', `the ACME server's issuer ${ctx.config.issuerId} is not available`, 503);

  const updated = await inTransaction(deps, async (trx) => {
    const locked = await trx
      .selectFrom('acmeOrders')
      .selectAll()
      .where('id', '=', order.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (locked.status !== 'ready') throw new AcmeProblem('orderNotReady', `order is ${locked.status}, not ready`);
    let certificate = await reusableCertificate(trx, ctx, locked, names);
    if (certificate) {
      const open = await trx
        .selectFrom('jobs')
        .select('id')
        .where('certificateId', '=', certificate.id)
        .where('type', 'in', ['issuance', 'renewal'])
        .where('status', 'in', [...OPEN_JOB])
        .executeTakeFirst();
      if (open) certificate = undefined;
    }
    if (!certificate) {
      const ownership = await acmeOwnership(trx, ctx.config);
      certificate = await insertCertificate(trx, actor, {
        name: `acme-${order.id}`,
        commonName,
        sans: names,
        ownerId: ownership.ownerId,
        teamId: ownership.teamId,
        issuerId: ctx.config.issuerId,
        profileId: order.profileId,
        renewalPolicyId: ownership.renewalPolicyId,
        tags: { source: 'acme', acme_account: order.accountId },
      });
    }
    let job: Job;
    try {
      job = await requestIssuance(trx, deps, actor, certificate.id, {
        csrPem: pem,
        trigger: order.replaces ? 'acme_ari' : 'acme',
      });
    } catch (error) {
      if (error instanceof ServiceError && error.status === 422) throw carryAfterRollback(error, badCsr(error.message));
      throw error;
    }
    const row = await trx
      .updateTable('acmeOrders')
      .set({ status: 'processing', csrPem: pem, certificateId: certificate.id, jobId: job.id, updatedAt: deps.now() })
      .where('id', '=', order.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'acme_order_processing',
      { type: 'acme_order', id: order.id },
      { certificate_id: certificate.id, job_id: job.id, job_status: job.status },
    );
    return row;
  });
  const claimed = await claimJob(ctx, updated.jobId!);
  if (claimed) await runIssuanceJob(deps, claimed);
  else deps.notifyJobs();
  return refreshOrder(ctx, updated);
}
