import { certificateFingerprint, parseCertificate } from '@certctl/pki';
import type { TlsMaterial } from '../../connectors/bootstrap-tls.js';
import { newId } from '../../db/ids.js';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { inTransaction } from '../../shared/transaction.js';

/** Fixed ids, so every boot and every replica finds the same records. */
export const SERVER_TLS_IDS = {
  team: 't-certctl-system',
  owner: 'o-certctl-system',
  renewalPolicy: 'rp-certctl-server-tls',
  certificate: 'mc-certctl-server-tls',
} as const;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/g;

/**
 * Records the server's own HTTPS certificate in the inventory when the built-in local CA issued it:
 * a managed certificate `certctl-server-tls` with one version per certificate the server has served,
 * so the local CA's OCSP responder answers `good` for it (and a revocation would answer `revoked`),
 * and it shows in the certificate list with its expiry. The server renews it itself at start
 * (30 days before expiry), so its renewal policy does not auto-renew.
 */
export async function registerServerTlsCertificate(
  deps: ServiceDeps,
  tls: TlsMaterial,
): Promise<{ registered: boolean; reason?: string }> {
  if (tls.source !== 'local-ca' && tls.source !== 'bootstrap-reused')
    return { registered: false, reason: `the certificate comes from ${tls.source}` };
  const issuer = await deps.db
    .selectFrom('issuers')
    .select('id')
    .where('type', '=', 'local')
    .where('source', '=', 'builtin')
    .executeTakeFirst();
  if (!issuer) return { registered: false, reason: 'no built-in local CA' };
  const runtime = await deps.issuers.get(issuer.id);
  const caChain = (await runtime.caChain()).join('');
  const [leafPem, ...chain] = tls.cert.match(PEM_BLOCK) ?? [];
  const caHead = caChain.match(PEM_BLOCK)?.[0]?.trim();
  if (!leafPem || !caHead || !(chain[0]?.trim() === caHead || tls.caPem?.includes(caHead)))
    return { registered: false, reason: 'the certificate was not issued by the local CA' };
  const parsed = parseCertificate(leafPem);
  const fingerprint = certificateFingerprint(parsed.der).hex;
  const known = await deps.db
    .selectFrom('certificateVersions')
    .select('id')
    .where('fingerprintSha256', '=', fingerprint)
    .executeTakeFirst();
  if (known) return { registered: true };
  try {
    await inTransaction(deps, async (trx) => {
      await trx
        .insertInto('teams')
        .values({ id: SERVER_TLS_IDS.team, name: 'certctl-system', description: "certctl's own certificates" })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .insertInto('owners')
        .values({
          id: SERVER_TLS_IDS.owner,
          name: 'certctl server',
          email: 'certctl@localhost',
          teamId: SERVER_TLS_IDS.team,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .insertInto('renewalPolicies')
        .values({
          id: SERVER_TLS_IDS.renewalPolicy,
          name: 'certctl-server-tls',
          autoRenew: false,
          renewalWindowDays: 30,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .insertInto('certificates')
        .values({
          id: SERVER_TLS_IDS.certificate,
          name: 'certctl-server-tls',
          commonName: 'certctl-server',
          sans: JSON.stringify(parsed.sans.map((s) => s.value)),
          tags: JSON.stringify({ managed_by: 'certctl-server', purpose: 'server-tls' }),
          ownerId: SERVER_TLS_IDS.owner,
          teamId: SERVER_TLS_IDS.team,
          issuerId: issuer.id,
          renewalPolicyId: SERVER_TLS_IDS.renewalPolicy,
          status: 'active',
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const last = await trx
        .selectFrom('certificateVersions')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('certificateId', '=', SERVER_TLS_IDS.certificate)
        .executeTakeFirst();
      const versionId = newId('version');
      await trx
        .insertInto('certificateVersions')
        .values({
          id: versionId,
          certificateId: SERVER_TLS_IDS.certificate,
          version: Number(last?.v ?? 0) + 1,
          issuerId: issuer.id,
          serial: parsed.serialNumber,
          notBefore: parsed.notBefore,
          notAfter: parsed.notAfter,
          fingerprintSha256: fingerprint,
          certificatePem: parsed.pem,
          chainPem: chain.join(''),
          keyAlgorithm: parsed.publicKey.name ?? parsed.publicKey.type,
          keySize: parsed.publicKey.bits || null,
        })
        .execute();
      await trx
        .updateTable('certificates')
        .set({ currentVersionId: versionId, expiresAt: parsed.notAfter, status: 'active', updatedAt: deps.now() })
        .where('id', '=', SERVER_TLS_IDS.certificate)
        .where('status', 'not in', ['revoked', 'archived'])
        .execute();
      await recordAudit(
        trx,
        SYSTEM_ACTOR,
        'server_tls_certificate_registered',
        { type: 'certificate', id: SERVER_TLS_IDS.certificate },
        { serial: parsed.serialNumber, not_after: parsed.notAfter.toISOString(), fingerprint_sha256: fingerprint },
      );
    });
  } catch (error) {
    // A team, owner or policy of the same name made by someone else, or another replica registering
    // the same certificate at once: the server still starts; the reason is logged.
    const reason = error instanceof Error ? error.message : String(error);
    deps.logger.warn({ error: reason }, 'the server TLS certificate was not added to the inventory');
    return { registered: false, reason };
  }
  return { registered: true };
}
