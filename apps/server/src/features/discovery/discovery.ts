import { certificateFingerprint, parseCertificate } from '@certctl/pki';
import { sql } from 'kysely';
import { newId } from '../../db/ids.js';
import type { DiscoveredCertificate, DiscoveryScan, DiscoveryStatus } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { assertAgentSelf, getAgent } from '../agents/agents.js';
import { recordAudit } from '../../shared/audit.js';
import { getCertificate } from '../certificates/certificates.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound, ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import type { Executor } from '../../db/open-database.js';
import type { Certificate } from '../../db/tables.js';
import { checkExistingCertificate, namesOf, recordFindings, refusal } from '../policy-rules/policy-enforcement.js';

export interface DiscoveryReport {
  directories: string[];
  certificates: { path: string; certificatePem: string; fingerprintSha256?: string }[];
  errors: { path: string; error: string }[];
  scanDurationMs: number;
}

export interface DiscoveryReportResult {
  scanId: string;
  reported: number;
  created: number;
  rejected: { path: string; error: string }[];
}

/** A discovered certificate without its PEM (lists stay small; GET by id returns it). */
export type DiscoveredCertificateView = Omit<DiscoveredCertificate, 'certificatePem'> & { certificatePem?: string };

const PRIVATE_KEY_LABEL = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Stores what an agent found on its host. Each entry is re-read here (the fingerprint the agent
 * sent must match the bytes); one row per fingerprint + agent + path, so a re-scan only refreshes
 * `last_seen_at` and never resurrects a dismissed finding. A report carrying a private key is
 * refused as a whole: the agent must never send one.
 */
export async function reportDiscovery(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  report: DiscoveryReport,
): Promise<DiscoveryReportResult> {
  assertAgentSelf(actor, agentId);
  const agent = await getAgent(deps, agentId);
  if (agent.retiredAt) throw new ServiceError(410, 'gone', `agent ${agentId} is retired`);
  if (report.certificates.some((c) => PRIVATE_KEY_LABEL.test(c.certificatePem)))
    throw invalid('a discovery report must not contain private keys; nothing was stored');
  const rejected: { path: string; error: string }[] = [];
  const parsed = report.certificates.flatMap((entry) => {
    try {
      const certificate = parseCertificate(entry.certificatePem);
      const fingerprint = certificateFingerprint(certificate.der).hex;
      if (entry.fingerprintSha256 && entry.fingerprintSha256.toLowerCase().replaceAll(':', '') !== fingerprint) {
        rejected.push({ path: entry.path, error: 'fingerprint does not match the certificate' });
        return [];
      }
      return [{ path: entry.path, certificate, fingerprint }];
    } catch (error) {
      rejected.push({ path: entry.path, error: error instanceof Error ? error.message : 'not a certificate' });
      return [];
    }
  });
  return inTransaction(deps, async (trx) => {
    const scanId = newId('discoveryScan');
    await trx
      .insertInto('discoveryScans')
      .values({
        id: scanId,
        agentId,
        directories: JSON.stringify(report.directories),
        certificatesFound: parsed.length,
        errors: JSON.stringify([...report.errors, ...rejected]),
        scanDurationMs: Math.max(0, Math.round(report.scanDurationMs)),
      })
      .execute();
    const fingerprints = [...new Set(parsed.map((p) => p.fingerprint))];
    const managed = fingerprints.length
      ? await trx
          .selectFrom('certificateVersions')
          .select(['fingerprintSha256', 'certificateId'])
          .where('fingerprintSha256', 'in', fingerprints)
          .execute()
      : [];
    let created = 0;
    for (const { path, certificate, fingerprint } of parsed) {
      const managedBy = managed.find((m) => m.fingerprintSha256 === fingerprint)?.certificateId ?? null;
      const row = await trx
        .insertInto('discoveredCertificates')
        .values({
          id: newId('discovered'),
          agentId,
          sourcePath: path,
          fingerprintSha256: fingerprint,
          commonName: certificate.subjectCommonName ?? null,
          sans: JSON.stringify(certificate.sans.map((s) => s.value)),
          serial: certificate.serialNumber,
          subject: certificate.subject,
          issuer: certificate.issuer,
          notBefore: certificate.notBefore,
          notAfter: certificate.notAfter,
          keyAlgorithm: certificate.publicKey.name ?? certificate.publicKey.type,
          certificatePem: certificate.pem,
          status: managedBy ? 'managed' : 'unmanaged',
          managedCertificateId: managedBy,
          lastScanId: scanId,
        })
        .onConflict((oc) =>
          oc
            .columns(['fingerprintSha256', 'agentId', 'sourcePath'])
            .doUpdateSet({ lastSeenAt: deps.now(), lastScanId: scanId, updatedAt: deps.now() }),
        )
        .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .executeTakeFirstOrThrow();
      if (row.inserted) created++;
    }
    await recordAudit(
      trx,
      actor,
      'discovery_scan_completed',
      { type: 'agent', id: agentId },
      { scan_id: scanId, reported: parsed.length, created, errors: report.errors.length + rejected.length },
    );
    return { scanId, reported: parsed.length, created, rejected };
  });
}

const withoutPem = ({ certificatePem: _pem, ...rest }: DiscoveredCertificate): DiscoveredCertificateView => rest;

export async function listDiscovered(
  deps: ServiceDeps,
  filters: { status?: DiscoveryStatus; agentId?: string },
  page: PageRequest,
): Promise<PageResult<DiscoveredCertificateView>> {
  let query = deps.db.selectFrom('discoveredCertificates');
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.agentId) query = query.where('agentId', '=', filters.agentId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('lastSeenAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: data.map(withoutPem), total: Number(count.n), ...page };
}

export async function getDiscovered(deps: ServiceDeps, id: string): Promise<DiscoveredCertificate> {
  const row = await deps.db.selectFrom('discoveredCertificates').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('discovered certificate', id);
  return row;
}

/**
 * A certificate found on a host comes under management only if the enforcing policies allow it as
 * it is (its key, validity and names, with the managed certificate's issuer, owner and environment).
 */
async function checkClaimAgainstPolicies(
  trx: Executor,
  deps: ServiceDeps,
  actor: Actor,
  row: DiscoveredCertificate,
  managed: Certificate,
): Promise<void> {
  const parsed = parseCertificate(row.certificatePem);
  const facts = { ...managed, commonName: row.commonName ?? managed.commonName, sans: row.sans };
  const findings = await checkExistingCertificate(trx, {
    certificate: facts,
    key: { algorithm: parsed.publicKey.type, bits: parsed.publicKey.bits },
    notBefore: row.notBefore,
    notAfter: row.notAfter,
  });
  const target = {
    subjectKey: `discovery:${row.id}`,
    certificateId: managed.id,
    names: namesOf(facts),
    source: 'discovery_claim',
  };
  if (findings.some((f) => f.rule.enforcement === 'enforcing'))
    throw refusal(deps, actor, findings, async () => target);
  await recordFindings(trx, deps, actor, target, findings);
}

/** Links a finding to the managed certificate it is (status `managed`). */
export function claimDiscovered(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  managedCertificateId: string,
): Promise<DiscoveredCertificateView> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .selectFrom('discoveredCertificates')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('discovered certificate', id);
    const managed = await getCertificate(trx, managedCertificateId);
    await checkClaimAgainstPolicies(trx, deps, actor, row, managed);
    const updated = await trx
      .updateTable('discoveredCertificates')
      .set({ status: 'managed', managedCertificateId, dismissReason: null, updatedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'discovery_cert_claimed',
      { type: 'discovered_certificate', id },
      { managed_certificate_id: managedCertificateId, fingerprint_sha256: row.fingerprintSha256 },
    );
    return withoutPem(updated);
  });
}

/** Marks a finding as not ours to manage; later scans keep it dismissed. */
export function dismissDiscovered(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  reason: string | undefined,
): Promise<DiscoveredCertificateView> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .selectFrom('discoveredCertificates')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('discovered certificate', id);
    if (row.status === 'managed')
      throw conflict(`discovered certificate ${id} is claimed by ${row.managedCertificateId}; it cannot be dismissed`);
    const updated = await trx
      .updateTable('discoveredCertificates')
      .set({ status: 'dismissed', dismissReason: reason ?? '', updatedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'discovery_cert_dismissed',
      { type: 'discovered_certificate', id },
      { reason: reason ?? '' },
    );
    return withoutPem(updated);
  });
}

export async function listDiscoveryScans(
  deps: ServiceDeps,
  filters: { agentId?: string },
  page: PageRequest,
): Promise<PageResult<DiscoveryScan>> {
  let query = deps.db.selectFrom('discoveryScans');
  if (filters.agentId) query = query.where('agentId', '=', filters.agentId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function discoverySummary(deps: ServiceDeps): Promise<Record<DiscoveryStatus, number>> {
  const rows = await deps.db
    .selectFrom('discoveredCertificates')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const summary: Record<DiscoveryStatus, number> = { unmanaged: 0, managed: 0, dismissed: 0 };
  for (const r of rows) summary[r.status] = Number(r.n);
  return summary;
}
