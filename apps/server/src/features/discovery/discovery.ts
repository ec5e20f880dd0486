import { certificateFingerprint, parseCertificate } from '@certctl/pki';
import { sql } from 'kysely';
import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { Certificate, DiscoveredCertificate, DiscoveryScan, DiscoveryStatus } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound, ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { assertAgentSelf, getAgent } from '../agents/agents.js';
import { getCertificate } from '../certificates/certificates.js';
import { checkExistingCertificate, namesOf, recordFindings, refusal } from '../policy-rules/policy-enforcement.js';
import type { DiscoverySourceKind } from './discovery-tables.js';

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
    const created = await upsertFindings(deps, trx, { agentId, source: 'filesystem', scanId }, parsed);
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

type ParsedFinding = { path: string; certificate: ReturnType<typeof parseCertificate>; fingerprint: string };

/**
 * Writes findings into the triage table: new ones as unmanaged (or managed when certctl issued
 * them), known ones only refreshed, so a dismissed finding stays dismissed. Agent findings are one
 * row per fingerprint + agent + path; server findings (agentId null) one per fingerprint + path.
 */
async function upsertFindings(
  deps: ServiceDeps,
  trx: Executor,
  origin: { agentId: string | null; source: DiscoverySourceKind; scanId: string | null },
  parsed: ParsedFinding[],
): Promise<number> {
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
    const refresh = { lastSeenAt: deps.now(), lastScanId: origin.scanId, updatedAt: deps.now() };
    const row = await trx
      .insertInto('discoveredCertificates')
      .values({
        id: newId('discovered'),
        agentId: origin.agentId,
        source: origin.source,
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
        lastScanId: origin.scanId,
      })
      .onConflict((oc) =>
        origin.agentId === null
          ? oc.columns(['fingerprintSha256', 'sourcePath']).where('agentId', 'is', null).doUpdateSet(refresh)
          : oc.columns(['fingerprintSha256', 'agentId', 'sourcePath']).doUpdateSet(refresh),
      )
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .executeTakeFirstOrThrow();
    if (row.inserted) created++;
  }
  return created;
}

/** A certificate the server itself found (network scan, cloud source), by where it was found. */
export interface ServerFinding {
  /** Where: `host:port` for a network endpoint, the secret's name for a cloud source. */
  sourcePath: string;
  certificatePem: string;
}

/**
 * Feeds what the server found into the same triage as agents' reports. Returns how many were new
 * and which entries could not be read (never stored).
 */
export async function recordServerFindings(
  deps: ServiceDeps,
  trx: Executor,
  source: Exclude<DiscoverySourceKind, 'filesystem'>,
  findings: ServerFinding[],
): Promise<{ created: number; rejected: { path: string; error: string }[] }> {
  const rejected: { path: string; error: string }[] = [];
  const parsed = findings.flatMap((entry) => {
    if (PRIVATE_KEY_LABEL.test(entry.certificatePem)) {
      rejected.push({ path: entry.sourcePath, error: 'contains a private key; not stored' });
      return [];
    }
    try {
      const certificate = parseCertificate(entry.certificatePem);
      return [{ path: entry.sourcePath, certificate, fingerprint: certificateFingerprint(certificate.der).hex }];
    } catch (error) {
      rejected.push({ path: entry.sourcePath, error: error instanceof Error ? error.message : 'not a certificate' });
      return [];
    }
  });
  const created = await upsertFindings(deps, trx, { agentId: null, source, scanId: null }, parsed);
  return { created, rejected };
}

const withoutPem = ({ certificatePem: _pem, ...rest }: DiscoveredCertificate): DiscoveredCertificateView => rest;

export async function listDiscovered(
  deps: ServiceDeps,
  filters: { status?: DiscoveryStatus; agentId?: string; source?: DiscoverySourceKind },
  page: PageRequest,
): Promise<PageResult<DiscoveredCertificateView>> {
  let query = deps.db.selectFrom('discoveredCertificates');
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.source) query = query.where('source', '=', filters.source);
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
