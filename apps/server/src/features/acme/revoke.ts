import { createPublicKey } from 'node:crypto';
import { certificateFingerprint, parseCertificate } from '@certctl/pki';
import type { RevocationReason } from '@certctl/core';
import type { JWK } from 'jose';
import { revokeCertificate } from '../certificates/revocation.js';
import type { AcmeContext } from './acme-context.js';
import { acmeActor } from './acme-actor.js';
import { jwkThumbprint } from './jws.js';
import { AcmeProblem, malformed, unauthorized } from './problems.js';
import type { AuthenticatedRequest } from './request-auth.js';

/** RFC 5280 CRLReason codes (7 is unused, 8 removeFromCRL is not a revocation). */
const REASONS: Record<number, RevocationReason> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'caCompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  9: 'privilegeWithdrawn',
  10: 'aaCompromise',
};

/**
 * RFC 8555 7.6: revocation requested by the account that ordered the certificate (kid) or by
 * whoever holds the certificate's key (jwk equal to its public key). Goes through the platform's
 * revocation service, so the CRL, the inventory and the audit trail see it.
 */
export async function revokeByAcme(ctx: AcmeContext, request: AuthenticatedRequest, requestId: string): Promise<void> {
  const payload = request.payload;
  if (!payload || typeof payload.certificate !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.certificate))
    throw malformed('revoke-cert needs certificate: base64url DER');
  const reasonCode = payload.reason ?? 0;
  if (typeof reasonCode !== 'number' || !(reasonCode in REASONS))
    throw new AcmeProblem(
      'badRevocationReason',
      `reason ${JSON.stringify(payload.reason)} is not a revocation reason code (0-6, 9, 10)`,
    );
  const der = new Uint8Array(Buffer.from(payload.certificate, 'base64url'));
  let parsed: ReturnType<typeof parseCertificate>;
  try {
    parsed = parseCertificate(der);
  } catch {
    throw malformed('certificate is not a DER X.509 certificate');
  }
  const fingerprint = certificateFingerprint(parsed.der).hex;
  const { db } = ctx.deps;
  const version = await db
    .selectFrom('certificateVersions')
    .selectAll()
    .where('fingerprintSha256', '=', fingerprint)
    .executeTakeFirst();
  if (!version) throw new AcmeProblem('malformed', 'this server did not issue that certificate', 404);
  if (
    await db
      .selectFrom('revocations')
      .select('id')
      .where('issuerId', '=', version.issuerId)
      .where('serial', '=', version.serial)
      .executeTakeFirst()
  ) {
    throw new AcmeProblem('alreadyRevoked', 'the certificate is already revoked');
  }
  let actorId: string;
  if (request.account) {
    const owned = await db
      .selectFrom('acmeOrders')
      .select('id')
      .where('accountId', '=', request.account.id)
      .where('certificateId', '=', version.certificateId)
      .executeTakeFirst();
    if (!owned) throw unauthorized('this account did not order that certificate');
    actorId = request.account.id;
  } else {
    const certificateJwk = createPublicKey({ key: Buffer.from(parsed.spki), format: 'der', type: 'spki' }).export({
      format: 'jwk',
    }) as JWK;
    if ((await jwkThumbprint(certificateJwk)) !== (await jwkThumbprint(request.jwk)))
      throw unauthorized('the JWS key is not the certificate key');
    actorId = `certificate-key-${fingerprint.slice(0, 16)}`;
  }
  const certificate = await db
    .selectFrom('certificates')
    .select(['currentVersionId'])
    .where('id', '=', version.certificateId)
    .executeTakeFirstOrThrow();
  if (certificate.currentVersionId !== version.id) {
    throw new AcmeProblem(
      'malformed',
      'that certificate has been superseded by a renewal; revoke the current one, or the older one through the certctl API',
      400,
    );
  }
  await revokeCertificate(ctx.deps, acmeActor(actorId, requestId), version.certificateId, REASONS[reasonCode], {
    via: 'acme',
    serial: version.serial,
  });
}
