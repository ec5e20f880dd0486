import { isRevocationReason, type RevocationReason } from '@certctl/core';
import { newId } from '../../db/ids.js';
import type { Revocation } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { notifyCertificateEvent } from './certificate-events.js';
import { cancelOpenJobs } from './certificates.js';
import { invalidateOcspCache } from '../crl-ocsp/ocsp.js';
import { refuseShortLivedRevocation } from '../short-lived/short-lived.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface RevokeResult {
  revocation: Revocation;
  issuerNotified: boolean;
  issuerError?: string;
}

export function parseReason(reason: string | undefined): RevocationReason {
  const value = reason ?? 'unspecified';
  if (!isRevocationReason(value) || value === 'removeFromCRL') {
    throw invalid(
      `reason: "${value}" is not an RFC 5280 revocation reason (unspecified, keyCompromise, caCompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aaCompromise)`,
    );
  }
  return value;
}

/**
 * Revokes a certificate's current version: the record, the revocation row (the CRL's source of
 * truth) and a stale mark on the issuer's CRL are one transaction; the CA is told afterwards,
 * best effort, and whether it heard is recorded.
 */
export async function revokeCertificate(
  deps: ServiceDeps,
  actor: Actor,
  certificateId: string,
  reasonText: string | undefined,
  extraAudit: Record<string, unknown> = {},
): Promise<RevokeResult> {
  const reason = parseReason(reasonText);
  const { revocation, certificatePem } = await inTransaction(deps, async (trx) => {
    const certificate = await trx
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', certificateId)
      .forUpdate()
      .executeTakeFirst();
    if (!certificate) throw notFound('certificate', certificateId);
    if (certificate.status === 'revoked') throw conflict(`certificate ${certificateId} is already revoked`);
    if (!certificate.currentVersionId)
      throw conflict(`certificate ${certificateId} has never been issued; archive it instead`);
    await refuseShortLivedRevocation(trx, certificate);
    const version = await trx
      .selectFrom('certificateVersions')
      .selectAll()
      .where('id', '=', certificate.currentVersionId)
      .executeTakeFirstOrThrow();
    const inserted = await trx
      .insertInto('revocations')
      .values({
        id: newId('revocation'),
        certificateId,
        versionId: version.id,
        issuerId: version.issuerId,
        serial: version.serial,
        reason,
        revokedBy: actor.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('certificates')
      .set({ status: 'revoked', revokedAt: inserted.revokedAt, revocationReason: reason, updatedAt: deps.now() })
      .where('id', '=', certificateId)
      .execute();
    await cancelOpenJobs(trx, certificateId, 'certificate revoked');
    await trx
      .insertInto('crlCache')
      .values({ issuerId: version.issuerId, stale: true })
      .onConflict((oc) => oc.column('issuerId').doUpdateSet({ stale: true }))
      .execute();
    await recordAudit(
      trx,
      actor,
      'certificate_revoked',
      { type: 'certificate', id: certificateId },
      { serial: version.serial, reason, issuer_id: version.issuerId, ...extraAudit },
    );
    await notifyCertificateEvent(trx, deps, {
      certificateId,
      event: 'revoked',
      occurrence: inserted.id,
      detail: `reason ${reason}`,
    });
    return { revocation: inserted, certificatePem: version.certificatePem };
  });
  deps.metrics.revocationsTotal.inc({ reason });
  invalidateOcspCache(deps, revocation.issuerId);
  let issuerError: string | undefined;
  try {
    const runtime = await deps.issuers.get(revocation.issuerId);
    if (await runtime.supports('revoke')) await runtime.revoke({ serial: revocation.serial, reason, certificatePem });
  } catch (error) {
    issuerError = error instanceof Error ? error.message : String(error);
    deps.logger.warn({ certificate_id: certificateId, error: issuerError }, 'issuer was not told about a revocation');
  }
  const updated = await deps.db
    .updateTable('revocations')
    .set({ issuerNotified: issuerError === undefined, issuerError: issuerError ?? null })
    .where('id', '=', revocation.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { revocation: updated, issuerNotified: issuerError === undefined, issuerError };
}
