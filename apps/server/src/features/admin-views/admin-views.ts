import { readFileSync } from 'node:fs';
import { type ParsedCertificate, parseCertificateBundle } from '@certctl/pki';
import { sql } from 'kysely';
import type { ServerConfig } from '../../config/index.js';
import type { JobStatus, JobType } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound } from '../../shared/service-errors.js';

const DAY_MS = 86_400_000;

export interface JobTrendDay {
  date: string;
  type: JobType;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Still pending, running, waiting on a CSR, an approval or the CA. */
  open: number;
  total: number;
}

const OUTCOME: Record<JobStatus, 'succeeded' | 'failed' | 'cancelled' | 'open'> = {
  succeeded: 'succeeded',
  failed: 'failed',
  dead: 'failed',
  cancelled: 'cancelled',
  pending: 'open',
  running: 'open',
  awaiting_csr: 'open',
  awaiting_approval: 'open',
  waiting_on_ca: 'open',
};

/** Jobs created per UTC day by type and outcome, for the last `days` days (today included); days without jobs are listed with zeros. */
export async function jobTrends(deps: ServiceDeps, days: number): Promise<{ days: number; data: JobTrendDay[] }> {
  const today = new Date(Math.floor(deps.now().getTime() / DAY_MS) * DAY_MS);
  const since = new Date(today.getTime() - (days - 1) * DAY_MS);
  const rows = await deps.db
    .selectFrom('jobs')
    .select([
      sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`.as('day'),
      'type',
      'status',
      (eb) => eb.fn.countAll<number>().as('n'),
    ])
    .where('createdAt', '>=', since)
    .groupBy([sql`1`, 'type', 'status'])
    .execute();
  const types: JobType[] = ['issuance', 'renewal', 'deployment'];
  const data: JobTrendDay[] = [];
  for (let i = 0; i < days; i++) {
    const date = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    for (const type of types) {
      const day: JobTrendDay = { date, type, succeeded: 0, failed: 0, cancelled: 0, open: 0, total: 0 };
      for (const row of rows.filter((r) => r.day === date && r.type === type)) {
        day[OUTCOME[row.status]] += Number(row.n);
        day.total += Number(row.n);
      }
      data.push(day);
    }
  }
  return { days, data };
}

/** Marks a notification read (first reader and time kept; marking again changes nothing). */
export async function markNotificationRead(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
): Promise<{ id: string; readAt: Date; readBy: string }> {
  const row = await deps.db
    .updateTable('notificationOutbox')
    .set((eb) => ({
      readAt: eb.fn.coalesce('readAt', eb.val(deps.now())),
      readBy: eb.fn.coalesce('readBy', eb.val(actor.name)),
    }))
    .where('id', '=', id)
    .returning(['id', 'readAt', 'readBy'])
    .executeTakeFirst();
  if (!row?.readAt || !row.readBy) throw notFound('notification', id);
  await recordAudit(deps.db, actor, 'notification_read', { type: 'notification', id });
  return { id: row.id, readAt: row.readAt, readBy: row.readBy };
}

export async function crlCacheState(deps: ServiceDeps) {
  const rows = await deps.db
    .selectFrom('crlCache')
    .leftJoin('issuers', 'issuers.id', 'crlCache.issuerId')
    .select([
      'crlCache.issuerId',
      'issuers.name as issuerName',
      'crlCache.crlNumber',
      'crlCache.thisUpdate',
      'crlCache.nextUpdate',
      'crlCache.revokedCount',
      'crlCache.stale',
      'crlCache.generatedAt',
      sql<number | null>`octet_length(crl_cache.crl_der)`.as('sizeBytes'),
    ])
    .orderBy('crlCache.issuerId')
    .execute();
  const now = deps.now().getTime();
  return {
    data: rows.map((r) => ({
      issuerId: r.issuerId,
      issuerName: r.issuerName ?? null,
      crlNumber: String(r.crlNumber),
      thisUpdate: r.thisUpdate,
      nextUpdate: r.nextUpdate,
      revokedCount: r.revokedCount,
      stale: r.stale,
      expired: r.nextUpdate ? r.nextUpdate.getTime() < now : false,
      generatedAt: r.generatedAt,
      sizeBytes: r.sizeBytes === null ? null : Number(r.sizeBytes),
    })),
  };
}

export interface TrustBundleStatus {
  purpose: 'mtls_client_ca' | 'intune_connector';
  path: string;
  certificates: number;
  subjects: string[];
  earliestNotAfter: Date | null;
  latestNotAfter: Date | null;
  /** Certificates in the bundle already past notAfter. */
  expired: number;
  error: string | null;
}

/** Reads a trust bundle file as the enrolment routes will at their next use (they re-read it when it changes). */
export function trustBundleStatus(purpose: TrustBundleStatus['purpose'], path: string, now: Date): TrustBundleStatus {
  try {
    const certificates = parseCertificateBundle(readFileSync(path, 'utf8'));
    return statusOf(
      purpose,
      path,
      certificates,
      certificates.length === 0 ? `${path} holds no PEM certificate` : null,
      now,
    );
  } catch (error) {
    return {
      purpose,
      path,
      certificates: 0,
      subjects: [],
      earliestNotAfter: null,
      latestNotAfter: null,
      expired: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

function statusOf(
  purpose: TrustBundleStatus['purpose'],
  path: string,
  certificates: ParsedCertificate[],
  error: string | null,
  now: Date,
): TrustBundleStatus {
  const afters = certificates.map((c) => c.notAfter.getTime());
  return {
    purpose,
    path,
    certificates: certificates.length,
    subjects: certificates.map((c) => c.subject),
    earliestNotAfter: afters.length ? new Date(Math.min(...afters)) : null,
    latestNotAfter: afters.length ? new Date(Math.max(...afters)) : null,
    expired: afters.filter((t) => t < now.getTime()).length,
    error,
  };
}

async function enrolmentActivity(deps: ServiceDeps, source: 'est' | 'scep', profile: string) {
  const since = new Date(deps.now().getTime() - DAY_MS);
  const row = await deps.db
    .selectFrom('certificates')
    .select([
      (eb) => eb.fn.countAll<number>().as('total'),
      sql<number>`count(*) FILTER (WHERE created_at >= ${since})`.as('last24h'),
      (eb) => eb.fn.max('createdAt').as('lastAt'),
    ])
    .where('enrollmentSource', '=', source)
    .where('enrollmentProfile', '=', profile)
    .executeTakeFirstOrThrow();
  return {
    certificatesTotal: Number(row.total),
    certificatesLastDay: Number(row.last24h),
    lastEnrolledAt: row.lastAt ? new Date(row.lastAt) : null,
  };
}

export async function estProfiles(deps: ServiceDeps, config: ServerConfig) {
  const data = [];
  for (const profile of config.est?.profiles ?? []) {
    const name = profile.pathId || 'default';
    data.push({
      profile: name,
      path: `/.well-known/est${profile.pathId ? `/${profile.pathId}` : ''}`,
      issuerId: profile.issuerId,
      profileId: profile.profileId ?? null,
      authModes: profile.authModes,
      mtlsEnabled: profile.mtlsEnabled,
      serverKeygenEnabled: profile.serverKeygenEnabled,
      trustBundles: profile.mtlsTrustBundlePath
        ? [trustBundleStatus('mtls_client_ca', profile.mtlsTrustBundlePath, deps.now())]
        : [],
      activity: await enrolmentActivity(deps, 'est', name),
    });
  }
  return { data };
}

export async function scepProfiles(deps: ServiceDeps, config: ServerConfig) {
  const data = [];
  for (const profile of config.scep?.profiles ?? []) {
    const name = profile.path || 'default';
    const bundles: TrustBundleStatus[] = [];
    if (profile.mtlsTrustBundlePath)
      bundles.push(trustBundleStatus('mtls_client_ca', profile.mtlsTrustBundlePath, deps.now()));
    if (profile.intune)
      bundles.push(trustBundleStatus('intune_connector', profile.intune.connectorCertPath, deps.now()));
    data.push({
      profile: name,
      path: `/scep${profile.path ? `/${profile.path}` : ''}`,
      issuerId: profile.issuerId,
      profileId: profile.profileId ?? null,
      intuneEnabled: Boolean(profile.intune),
      trustBundles: bundles,
      activity: await enrolmentActivity(deps, 'scep', name),
    });
  }
  return { data };
}

/**
 * Re-reads every trust bundle of a protocol now and swaps it into the enrolment routes (whatever
 * the file's size and mtime say), reporting what is in effect afterwards; audited. A file that does
 * not parse is reported with its error, and the previous bundle stays in effect.
 */
export async function reloadTrust(
  deps: ServiceDeps,
  actor: Actor,
  protocol: 'est' | 'scep',
): Promise<{ data: TrustBundleStatus[] }> {
  const data = deps.trustBundles.of(protocol).map(({ purpose, bundle }) => {
    const { certificates, error } = bundle.reload();
    return statusOf(purpose, bundle.path, certificates, error, deps.now());
  });
  await recordAudit(
    deps.db,
    actor,
    'trust_bundle_reload',
    { type: 'trust_bundle', id: protocol },
    { bundles: data.map((b) => ({ path: b.path, certificates: b.certificates, error: b.error })) },
  );
  return { data };
}
