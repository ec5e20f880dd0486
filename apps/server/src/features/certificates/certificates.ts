import { buildCertificatePkcs12, splitPemBundle } from '@certctl/pki';
import type { Executor } from '../../db/open-database.js';
import { newId } from '../../db/ids.js';
import type { Certificate, CertificateStatus, CertificateVersion } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { sanProblem } from './certificate-names.js';
import { checkNamesAgainstProfile } from '../policies/csr-policy.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface CertificateInput {
  id?: string;
  name: string;
  commonName: string;
  sans?: string[];
  environment?: string;
  tags?: Record<string, string>;
  ownerId: string;
  teamId: string;
  issuerId: string;
  profileId?: string | null;
  renewalPolicyId: string;
  agentId?: string | null;
  targetIds?: string[];
  /** Set by protocol enrolments (EST, SCEP): where the certificate came from and which profile admitted it. */
  enrollment?: { source: string; profile: string };
}

export interface CertificateFilters {
  status?: CertificateStatus;
  ownerId?: string;
  teamId?: string;
  issuerId?: string;
  profileId?: string;
  agentId?: string;
  environment?: string;
  expiresBefore?: Date;
  expiresAfter?: Date;
  /** Every pair must be present in the certificate's tags. */
  tags?: Record<string, string>;
  enrollmentSource?: string;
  enrollmentProfile?: string;
  includeArchived?: boolean;
}

export async function getCertificate(db: Executor, id: string): Promise<Certificate> {
  const row = await db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('certificate', id);
  return row;
}

export async function listCertificates(
  deps: ServiceDeps,
  filters: CertificateFilters,
  page: PageRequest,
): Promise<PageResult<Certificate>> {
  let query = deps.db.selectFrom('certificates');
  if (filters.status) query = query.where('status', '=', filters.status);
  else if (!filters.includeArchived) query = query.where('status', '<>', 'archived');
  if (filters.ownerId) query = query.where('ownerId', '=', filters.ownerId);
  if (filters.teamId) query = query.where('teamId', '=', filters.teamId);
  if (filters.issuerId) query = query.where('issuerId', '=', filters.issuerId);
  if (filters.profileId) query = query.where('profileId', '=', filters.profileId);
  if (filters.agentId) query = query.where('agentId', '=', filters.agentId);
  if (filters.environment) query = query.where('environment', '=', filters.environment);
  if (filters.expiresBefore) query = query.where('expiresAt', '<', filters.expiresBefore);
  if (filters.expiresAfter) query = query.where('expiresAt', '>', filters.expiresAfter);
  if (filters.enrollmentSource) query = query.where('enrollmentSource', '=', filters.enrollmentSource);
  if (filters.enrollmentProfile) query = query.where('enrollmentProfile', '=', filters.enrollmentProfile);
  if (filters.tags && Object.keys(filters.tags).length > 0)
    query = query.where('tags', '@>', JSON.stringify(filters.tags) as never);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

function checkSans(sans: readonly string[]) {
  for (const san of sans) {
    const problem = sanProblem(san);
    if (problem) throw invalid(`sans: "${san}" ${problem}`);
  }
}

/** Creates the managed certificate record (no issuance: that is `requestIssuance`). */
export async function insertCertificate(trx: Executor, actor: Actor, input: CertificateInput): Promise<Certificate> {
  const sans = [...new Set(input.sans ?? [])];
  checkSans(sans);
  if (input.profileId) {
    const profile = await trx
      .selectFrom('certificateProfiles')
      .selectAll()
      .where('id', '=', input.profileId)
      .executeTakeFirst();
    if (!profile) throw invalid(`profile_id: profile ${input.profileId} does not exist`);
    checkNamesAgainstProfile(
      [input.commonName, ...sans].filter((n) => !sanProblem(n)),
      profile,
    );
  }
  for (const [column, table, value] of [
    ['owner_id', 'owners', input.ownerId],
    ['team_id', 'teams', input.teamId],
    ['issuer_id', 'issuers', input.issuerId],
    ['renewal_policy_id', 'renewalPolicies', input.renewalPolicyId],
    ['agent_id', 'agents', input.agentId],
  ] as const) {
    if (!value) continue;
    const found = await trx.selectFrom(table).select('id').where('id', '=', value).executeTakeFirst();
    if (!found) throw invalid(`${column}: ${value} does not exist`);
  }
  const row = await trx
    .insertInto('certificates')
    .values({
      id: input.id ?? newId('certificate'),
      name: input.name,
      commonName: input.commonName,
      sans: JSON.stringify(sans),
      environment: input.environment ?? '',
      tags: JSON.stringify(input.tags ?? {}),
      ownerId: input.ownerId,
      teamId: input.teamId,
      issuerId: input.issuerId,
      profileId: input.profileId ?? null,
      renewalPolicyId: input.renewalPolicyId,
      agentId: input.agentId ?? null,
      enrollmentSource: input.enrollment?.source ?? null,
      enrollmentProfile: input.enrollment?.profile ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.targetIds && input.targetIds.length > 0) {
    await trx
      .insertInto('certificateTargets')
      .values(input.targetIds.map((targetId) => ({ certificateId: row.id, targetId })))
      .execute();
  }
  await recordAudit(
    trx,
    actor,
    'certificate_created',
    { type: 'certificate', id: row.id },
    { name: row.name, common_name: row.commonName, issuer_id: row.issuerId },
  );
  return row;
}

export type CertificateUpdateInput = Partial<Omit<CertificateInput, 'id' | 'issuerId' | 'commonName' | 'enrollment'>>;

export function updateCertificate(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: CertificateUpdateInput,
): Promise<Certificate> {
  return inTransaction(deps, async (trx) => {
    const current = await getCertificate(trx, id);
    if (current.status === 'archived') throw invalid(`certificate ${id} is archived`);
    if (input.sans) checkSans(input.sans);
    const profileId = input.profileId !== undefined ? input.profileId : current.profileId;
    if (profileId && (input.sans || input.profileId)) {
      const profile = await trx
        .selectFrom('certificateProfiles')
        .selectAll()
        .where('id', '=', profileId)
        .executeTakeFirst();
      if (!profile) throw invalid(`profile_id: profile ${profileId} does not exist`);
      checkNamesAgainstProfile([current.commonName, ...(input.sans ?? current.sans)], profile);
    }
    const row = await trx
      .updateTable('certificates')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.sans !== undefined && { sans: JSON.stringify([...new Set(input.sans)]) }),
        ...(input.environment !== undefined && { environment: input.environment }),
        ...(input.tags !== undefined && { tags: JSON.stringify(input.tags) }),
        ...(input.ownerId !== undefined && { ownerId: input.ownerId }),
        ...(input.teamId !== undefined && { teamId: input.teamId }),
        ...(input.profileId !== undefined && { profileId: input.profileId }),
        ...(input.renewalPolicyId !== undefined && { renewalPolicyId: input.renewalPolicyId }),
        ...(input.agentId !== undefined && { agentId: input.agentId }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (input.targetIds) {
      await trx.deleteFrom('certificateTargets').where('certificateId', '=', id).execute();
      if (input.targetIds.length > 0)
        await trx
          .insertInto('certificateTargets')
          .values(input.targetIds.map((targetId) => ({ certificateId: id, targetId })))
          .execute();
    }
    await recordAudit(trx, actor, 'certificate_updated', { type: 'certificate', id }, { fields: Object.keys(input) });
    return row;
  });
}

/** DELETE = archive: the record and its versions stay for the audit trail; open jobs are cancelled. */
export function archiveCertificate(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const current = await getCertificate(trx, id);
    if (current.status === 'archived') return;
    await trx
      .updateTable('certificates')
      .set({ status: 'archived', archivedAt: deps.now(), updatedAt: deps.now() })
      .where('id', '=', id)
      .execute();
    await cancelOpenJobs(trx, id, 'certificate archived');
    await recordAudit(
      trx,
      actor,
      'certificate_archived',
      { type: 'certificate', id },
      { previous_status: current.status },
    );
  });
}

export async function cancelOpenJobs(trx: Executor, certificateId: string, reason: string): Promise<void> {
  await trx
    .updateTable('jobs')
    .set({
      status: 'cancelled',
      lastError: reason,
      leaseOwner: null,
      leaseExpiresAt: null,
      completedAt: new Date(),
      updatedAt: new Date(),
    })
    .where('certificateId', '=', certificateId)
    .where('status', 'in', ['pending', 'awaiting_csr', 'awaiting_approval', 'waiting_on_ca', 'running'])
    .execute();
  await trx
    .updateTable('approvals')
    .set({ state: 'expired', decidedAt: new Date(), note: reason })
    .where('certificateId', '=', certificateId)
    .where('state', '=', 'pending')
    .execute();
}

export async function listVersions(
  deps: ServiceDeps,
  certificateId: string,
  page: PageRequest,
): Promise<PageResult<CertificateVersion>> {
  await getCertificate(deps.db, certificateId);
  const query = deps.db.selectFrom('certificateVersions').where('certificateId', '=', certificateId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('version', 'desc').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function currentVersion(db: Executor, certificate: Certificate): Promise<CertificateVersion | undefined> {
  if (!certificate.currentVersionId) return undefined;
  return db
    .selectFrom('certificateVersions')
    .selectAll()
    .where('id', '=', certificate.currentVersionId)
    .executeTakeFirst();
}

/** Leaf then chain, PEM: what `export/pem` returns and agents deploy. */
export async function exportPem(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
): Promise<{ certificatePem: string; chainPem: string; version: CertificateVersion }> {
  const certificate = await getCertificate(deps.db, id);
  const version = await currentVersion(deps.db, certificate);
  if (!version) throw notFound('issued version of certificate', id);
  await recordAudit(deps.db, actor, 'export_pem', { type: 'certificate', id }, { serial: version.serial });
  return { certificatePem: version.certificatePem, chainPem: version.chainPem, version };
}

/** Certificate and chain as PKCS#12 (no key: the server never holds it), AES-256 protected by the caller's password. */
export async function exportPkcs12(deps: ServiceDeps, actor: Actor, id: string, password: string): Promise<Uint8Array> {
  const certificate = await getCertificate(deps.db, id);
  const version = await currentVersion(deps.db, certificate);
  if (!version) throw notFound('issued version of certificate', id);
  const chain = splitPemBundle(version.chainPem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.der);
  const p12 = buildCertificatePkcs12({
    certificate: version.certificatePem,
    chain,
    password,
    friendlyName: certificate.name,
    encryption: 'aes256',
  });
  await recordAudit(deps.db, actor, 'export_pkcs12', { type: 'certificate', id }, { serial: version.serial });
  return p12;
}
