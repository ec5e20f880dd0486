import type { RevocationReason } from '@certctl/core';
import { sql } from 'kysely';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound, ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface CrlDocument {
  der: Uint8Array;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  etag: string;
}

function fresh(
  row: { stale: boolean; crlDer: Uint8Array | null; nextUpdate: Date | null; thisUpdate: Date | null },
  now: Date,
  validityMs: number,
): boolean {
  if (row.stale || !row.crlDer || !row.nextUpdate || !row.thisUpdate) return false;
  // Re-sign once half the validity has passed, long before relying parties see it expire.
  return now.getTime() < row.thisUpdate.getTime() + validityMs / 2 && now.getTime() < row.nextUpdate.getTime();
}

function documentOf(
  issuerId: string,
  row: {
    crlDer: Uint8Array | null;
    crlNumber: string | number | bigint;
    thisUpdate: Date | null;
    nextUpdate: Date | null;
  },
): CrlDocument {
  const crlNumber = BigInt(row.crlNumber);
  return {
    der: new Uint8Array(row.crlDer!),
    crlNumber,
    thisUpdate: row.thisUpdate!,
    nextUpdate: row.nextUpdate!,
    etag: `"${issuerId}-${crlNumber}"`,
  };
}

/**
 * The issuer's current CRL, from the cache when it is fresh; otherwise a new one is signed with the
 * next CRL number. The number is reserved in a transaction (row lock), and the cache only accepts a
 * CRL whose number is higher than what it holds, so numbers stay monotonic across replicas. `stale`
 * (set by a revocation) is cleared only when the signed CRL is stored: a process killed in between
 * leaves it set, so the next request signs a CRL with the revocation instead of serving the old one.
 */
export async function currentCrl(
  deps: ServiceDeps,
  issuerId: string,
  options: { force?: boolean } = {},
): Promise<CrlDocument> {
  const issuer = await deps.db.selectFrom('issuers').select(['id']).where('id', '=', issuerId).executeTakeFirst();
  if (!issuer) throw notFound('issuer', issuerId);
  const now = deps.now();
  const cached = await deps.db.selectFrom('crlCache').selectAll().where('issuerId', '=', issuerId).executeTakeFirst();
  if (cached && !options.force && fresh(cached, now, deps.settings.crlValidityMs)) return documentOf(issuerId, cached);

  const runtime = await deps.issuers.get(issuerId);
  if (!(await runtime.supports('generateCrl')))
    throw new ServiceError(404, 'not_supported', `issuer ${issuerId} does not publish a CRL`);
  const reserved = await inTransaction(deps, async (trx) => {
    await trx
      .insertInto('crlCache')
      .values({ issuerId })
      .onConflict((oc) => oc.column('issuerId').doNothing())
      .execute();
    const row = await trx
      .updateTable('crlCache')
      .set({ crlNumber: sql`crl_number + 1` as never })
      .where('issuerId', '=', issuerId)
      .returning(['crlNumber'])
      .executeTakeFirstOrThrow();
    const entries = await trx
      .selectFrom('revocations')
      .select(['serial', 'revokedAt', 'reason'])
      .where('issuerId', '=', issuerId)
      .orderBy('revokedAt')
      .execute();
    return { crlNumber: BigInt(row.crlNumber), entries };
  });
  await deps.faultHook?.('crl.after-reserve', issuerId);
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + deps.settings.crlValidityMs);
  const der = await runtime.generateCrl({
    entries: reserved.entries.map((e) => ({
      serial: e.serial,
      revokedAt: e.revokedAt,
      reason: e.reason as RevocationReason,
    })),
    crlNumber: reserved.crlNumber,
    thisUpdate,
    nextUpdate,
  });
  await deps.db
    .updateTable('crlCache')
    .set({
      crlDer: der,
      thisUpdate,
      nextUpdate,
      revokedCount: reserved.entries.length,
      generatedAt: now,
      // Still stale if a revocation landed after the entries were read (this CRL lacks it).
      stale: sql<boolean>`(select count(*) from revocations where issuer_id = ${issuerId}) <> ${reserved.entries.length}`,
    })
    .where('issuerId', '=', issuerId)
    .where((eb) => eb.or([eb('thisUpdate', 'is', null), eb('thisUpdate', '<=', thisUpdate)]))
    .where('crlNumber', '=', reserved.crlNumber.toString())
    .execute();
  return { der, crlNumber: reserved.crlNumber, thisUpdate, nextUpdate, etag: `"${issuerId}-${reserved.crlNumber}"` };
}

/** Issuers that can sign CRLs, for the pre-generation loop. */
export async function crlIssuerIds(deps: ServiceDeps): Promise<string[]> {
  const rows = await deps.db.selectFrom('issuers').select(['id', 'type']).where('enabled', '=', true).execute();
  return rows
    .filter((r) =>
      deps.registry
        .list('issuer')
        .some((e) => e.id === r.type && e.capabilities && (e.capabilities as { crl?: boolean }).crl),
    )
    .map((r) => r.id);
}
