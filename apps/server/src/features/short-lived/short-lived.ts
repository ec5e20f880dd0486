import { type ExpressionBuilder, sql } from 'kysely';
import type { Executor } from '../../db/open-database.js';
import type { CertificateStatus, Database } from '../../db/tables.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict } from '../../shared/service-errors.js';

/** A profile issues short-lived certificates when it allows them and caps their lifetime under an hour. */
export const SHORT_LIVED_MAX_TTL_SECONDS = 3600;

export function isShortLivedProfile(profile: { allowShortLived: boolean; maxTtlSeconds: number }): boolean {
  return profile.allowShortLived && profile.maxTtlSeconds > 0 && profile.maxTtlSeconds < SHORT_LIVED_MAX_TTL_SECONDS;
}

/** SQL condition on `certificates`: its profile issues short-lived certificates. */
export function onShortLivedProfile(eb: ExpressionBuilder<Database, 'certificates'>) {
  return eb.exists(
    eb
      .selectFrom('certificateProfiles as slp')
      .select('slp.id')
      .whereRef('slp.id', '=', 'certificates.profileId')
      .where('slp.allowShortLived', '=', true)
      .where('slp.maxTtlSeconds', '>', 0)
      .where('slp.maxTtlSeconds', '<', SHORT_LIVED_MAX_TTL_SECONDS),
  );
}

/**
 * Short-lived certificates have no revocation status to publish: they are issued without CRL
 * distribution points (and without an OCSP URL unless must-staple asks for one), never listed on a
 * CRL, and their expiry is the revocation. Revoking one is refused with the time it expires.
 */
export async function refuseShortLivedRevocation(
  db: Executor,
  certificate: { id: string; profileId: string | null; expiresAt: Date | null },
): Promise<void> {
  if (!certificate.profileId) return;
  const profile = await db
    .selectFrom('certificateProfiles')
    .select(['allowShortLived', 'maxTtlSeconds'])
    .where('id', '=', certificate.profileId)
    .executeTakeFirst();
  if (profile && isShortLivedProfile(profile))
    throw conflict(
      `certificate ${certificate.id} is short-lived (profile ${certificate.profileId}): it is not revoked, it expires${
        certificate.expiresAt ? ` at ${certificate.expiresAt.toISOString()}` : ''
      }; stop renewing it (archive it) instead`,
    );
}

export interface ShortLivedCertificate {
  id: string;
  name: string;
  commonName: string;
  status: CertificateStatus;
  profileId: string;
  maxTtlSeconds: number;
  expiresAt: Date | null;
  /** Seconds until expiry (0 once expired); null before the first issuance. */
  remainingTtlSeconds: number | null;
}

/** Certificates on short-lived profiles, soonest expiry first, with their remaining lifetime. */
export async function listShortLived(
  deps: ServiceDeps,
  filters: { includeExpired: boolean },
  page: PageRequest,
): Promise<PageResult<ShortLivedCertificate>> {
  let query = deps.db
    .selectFrom('certificates')
    .innerJoin('certificateProfiles', 'certificateProfiles.id', 'certificates.profileId')
    .where('certificateProfiles.allowShortLived', '=', true)
    .where('certificateProfiles.maxTtlSeconds', '>', 0)
    .where('certificateProfiles.maxTtlSeconds', '<', SHORT_LIVED_MAX_TTL_SECONDS)
    .where('certificates.status', 'not in', ['archived', 'revoked']);
  if (!filters.includeExpired) query = query.where('certificates.status', '!=', 'expired');
  const [rows, count] = await Promise.all([
    query
      .select([
        'certificates.id',
        'certificates.name',
        'certificates.commonName',
        'certificates.status',
        'certificateProfiles.id as profileId',
        'certificateProfiles.maxTtlSeconds',
        'certificates.expiresAt',
      ])
      .orderBy(sql`certificates.expires_at asc nulls last`)
      .orderBy('certificates.id')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const now = deps.now().getTime();
  return {
    data: rows.map((row) => ({
      ...row,
      remainingTtlSeconds: row.expiresAt ? Math.max(0, Math.floor((row.expiresAt.getTime() - now) / 1000)) : null,
    })),
    total: Number(count.n),
    ...page,
  };
}
