import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { ParsedCsr } from '@certctl/pki';
import type { Job } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { insertCertificate } from '../certificates/certificates.js';
import { requestIssuance } from '../issuance/issuance-requests.js';
import { runIssuanceJob } from '../issuance/issuance-runner.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import type { EstProfileConfig } from './est-config.js';
import { EstError, badRequest } from './est-error.js';

/** Where EST certificates are filed (seeded by migration 0005-est-enrollment). */
export const EST_FILING = { teamId: 'team-est', ownerId: 'owner-est', renewalPolicyId: 'rp-est' } as const;

const WAIT_FOR_JOB_MS = 15_000;
const RETRY_AFTER_SECONDS = '60';

export type EstIssued = { certificatePem: string; chainPem: string; certificateId: string };

export function estActor(profile: EstProfileConfig, requestId: string): Actor {
  return { name: `est:${profile.pathId || 'default'}`, type: 'system', role: 'system', requestId };
}

/** The names the CSR asks for: its CN (or first SAN) and its SANs. */
export function csrNames(csr: ParsedCsr): { commonName: string; sans: string[] } {
  const sans = csr.sans
    .filter((s) => s.type === 'dns' || s.type === 'ip' || s.type === 'email' || s.type === 'uri')
    .map((s) => s.value);
  const commonName = csr.commonName ?? sans[0];
  if (!commonName) throw badRequest('the CSR names nobody: it has neither a subject CN nor a subjectAltName');
  return { commonName, sans: sans.length > 0 ? sans : [] };
}

/** What the EST profile demands of a CSR beyond what the certificate service checks (key, SAN patterns). */
async function checkEkus(deps: ServiceDeps, profile: EstProfileConfig, csr: ParsedCsr): Promise<void> {
  if (!profile.profileId || !csr.extKeyUsage) return;
  const certificateProfile = await deps.db
    .selectFrom('certificateProfiles')
    .select('allowedEkus')
    .where('id', '=', profile.profileId)
    .executeTakeFirst();
  const allowed = certificateProfile?.allowedEkus ?? [];
  const extra = csr.extKeyUsage.filter((eku) => !allowed.includes(eku));
  if (extra.length > 0)
    throw badRequest(
      `the CSR asks for extended key usages the profile does not allow: ${extra.join(', ')} (allowed: ${allowed.join(', ') || 'none'})`,
    );
}

function asEstError(error: unknown): never {
  if (error instanceof ServiceError) {
    throw new EstError(
      error.status === 409 ? 409 : error.status >= 500 ? 500 : 400,
      `enrollment refused: ${error.message}`,
    );
  }
  throw error;
}

/** Claims this one job for this replica, unless the scheduler took it first. */
async function claimJob(deps: ServiceDeps, jobId: string): Promise<Job | undefined> {
  const rows = await sql<Job>`
    UPDATE jobs SET status = 'running', lease_owner = ${deps.replicaId},
      lease_expires_at = now() + ${`${deps.settings.jobLeaseMs} milliseconds`}::interval,
      attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now()
    WHERE id = ${jobId} AND status = 'pending'
    RETURNING *`.execute(deps.db);
  return rows.rows[0];
}

/**
 * Runs the issuance job now so the EST client gets its certificate in this response. A job held
 * for approval or by an asynchronous CA answers 202 with Retry-After (RFC 7030 4.2.3).
 */
async function settle(deps: ServiceDeps, job: Job): Promise<EstIssued> {
  const claimed = await claimJob(deps, job.id);
  if (claimed) await runIssuanceJob(deps, claimed);
  const deadline = Date.now() + WAIT_FOR_JOB_MS;
  for (;;) {
    const row = await deps.db
      .selectFrom('jobs')
      .select(['status', 'resultVersionId', 'lastError'])
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    if (row.status === 'succeeded' && row.resultVersionId) {
      const version = await deps.db
        .selectFrom('certificateVersions')
        .select(['certificatePem', 'chainPem', 'certificateId'])
        .where('id', '=', row.resultVersionId)
        .executeTakeFirstOrThrow();
      return version;
    }
    if (row.status === 'failed' || row.status === 'dead' || row.status === 'cancelled')
      throw new EstError(500, `the CA did not issue the certificate: ${row.lastError ?? row.status}`);
    if (row.status === 'awaiting_approval' || row.status === 'waiting_on_ca' || Date.now() > deadline) {
      throw new EstError(
        202,
        `the request is ${row.status === 'awaiting_approval' ? 'waiting for approval' : 'being processed by the CA'}; retry later`,
        { 'retry-after': RETRY_AFTER_SECONDS },
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** simpleenroll (and serverkeygen): a new managed certificate filed under EST, issued through the certificate service. */
export async function enrollNew(
  deps: ServiceDeps,
  profile: EstProfileConfig,
  csr: ParsedCsr,
  context: { requestId: string; clientIp: string; authMode: string },
): Promise<EstIssued> {
  const { commonName, sans } = csrNames(csr);
  await checkEkus(deps, profile, csr);
  const actor = estActor(profile, context.requestId);
  const job = await inTransaction(deps, async (trx) => {
    const certificate = await insertCertificate(trx, actor, {
      name: `est-${profile.pathId || 'default'}-${commonName}-${randomBytes(4).toString('hex')}`.slice(0, 200),
      commonName,
      sans,
      tags: {},
      ...EST_FILING,
      issuerId: profile.issuerId,
      profileId: profile.profileId ?? null,
      enrollment: { source: 'est', profile: profile.pathId || 'default' },
    });
    const created = await requestIssuance(trx, deps, actor, certificate.id, {
      csrPem: csr.pem,
      trigger: 'est_simpleenroll',
    });
    await recordAudit(
      trx,
      actor,
      'est_enrollment',
      { type: 'certificate', id: certificate.id },
      {
        profile: profile.pathId || 'default',
        client_ip: context.clientIp,
        auth: context.authMode,
        common_name: commonName,
      },
    );
    return created;
  }).catch(asEstError);
  return settle(deps, job);
}

/**
 * simplereenroll: the client proves it holds a current certificate that EST issued for this
 * profile; the new CSR must keep its subject (RFC 7030 4.2.2) and becomes the next version.
 */
export async function reenroll(
  deps: ServiceDeps,
  profile: EstProfileConfig,
  csr: ParsedCsr,
  current: { subjectDer: Uint8Array; subject: string; fingerprint: string },
  context: { requestId: string; clientIp: string },
): Promise<EstIssued> {
  const version = await deps.db
    .selectFrom('certificateVersions')
    .innerJoin('certificates', 'certificates.id', 'certificateVersions.certificateId')
    .select([
      'certificates.id as certificateId',
      'certificates.currentVersionId',
      'certificateVersions.id as versionId',
      'certificates.enrollmentSource',
      'certificates.enrollmentProfile',
      'certificates.status',
    ])
    .where('certificateVersions.fingerprintSha256', '=', current.fingerprint)
    .executeTakeFirst();
  if (version?.enrollmentSource !== 'est' || version.enrollmentProfile !== (profile.pathId || 'default')) {
    throw new EstError(403, 'the client certificate was not issued by this EST profile; use simpleenroll');
  }
  if (version.currentVersionId !== version.versionId)
    throw new EstError(403, 'the client certificate has already been replaced; re-enroll with the newest one');
  if (version.status === 'revoked' || version.status === 'archived')
    throw new EstError(403, `the client certificate's record is ${version.status}`);
  if (Buffer.compare(Buffer.from(csr.subjectDer), Buffer.from(current.subjectDer)) !== 0) {
    throw badRequest(
      `the CSR subject "${csr.subject}" differs from the current certificate's subject "${current.subject}" (RFC 7030 4.2.2)`,
    );
  }
  await checkEkus(deps, profile, csr);
  const actor = estActor(profile, context.requestId);
  const job = await inTransaction(deps, async (trx) => {
    const created = await requestIssuance(trx, deps, actor, version.certificateId, {
      csrPem: csr.pem,
      trigger: 'est_simplereenroll',
    });
    await recordAudit(
      trx,
      actor,
      'est_reenrollment',
      { type: 'certificate', id: version.certificateId },
      { profile: profile.pathId || 'default', client_ip: context.clientIp },
    );
    return created;
  }).catch(asEstError);
  return settle(deps, job);
}
