import { parseAriCertificateId, parseCertificate } from '@certctl/pki';
import type { Executor } from '../../db/open-database.js';
import type { CertificateVersion } from '../../db/tables.js';
import { malformed, notFoundProblem } from './problems.js';

const DAY_MS = 86_400_000;

/** The version an ARI id names: serial from the id, and the issuing CA's key id must match the stored certificate's AKI. */
export async function findReplacedVersion(db: Executor, ariId: string): Promise<CertificateVersion | undefined> {
  let parts: ReturnType<typeof parseAriCertificateId>;
  try {
    parts = parseAriCertificateId(ariId);
  } catch (error) {
    throw malformed(`not an ARI certificate id: ${error instanceof Error ? error.message : String(error)}`);
  }
  const serial = Buffer.from(parts.serialNumber)
    .toString('hex')
    .replace(/^(00)+(?=.)/, '');
  const candidates = await db.selectFrom('certificateVersions').selectAll().where('serial', '=', serial).execute();
  const aki = Buffer.from(parts.keyIdentifier).toString('hex');
  return candidates.find((v) => parseCertificate(v.certificatePem).authorityKeyIdentifier?.toLowerCase() === aki);
}

export interface RenewalWindow {
  start: Date;
  end: Date;
}

/**
 * RFC 9773 suggested window from the renewal policy: it opens `renewal_window_days` before expiry
 * and lasts half of that; when the window is longer than a third of the lifetime (short-lived
 * certificates) it is the middle of the last third. A revoked certificate should be replaced now.
 */
export function suggestedWindow(
  version: Pick<CertificateVersion, 'notBefore' | 'notAfter'>,
  renewalWindowDays: number,
  revoked: boolean,
  now: Date,
): RenewalWindow {
  if (revoked) return { start: new Date(now.getTime() - 3_600_000), end: now };
  const lifetime = version.notAfter.getTime() - version.notBefore.getTime();
  const windowMs = renewalWindowDays * DAY_MS;
  if (windowMs <= lifetime / 3) {
    const start = new Date(version.notAfter.getTime() - windowMs);
    return { start, end: new Date(start.getTime() + windowMs / 2) };
  }
  const start = new Date(version.notAfter.getTime() - lifetime / 3);
  return { start, end: new Date(start.getTime() + lifetime / 6) };
}

/** GET renewal-info/{id}: the suggested window of a certificate this server issued. */
export async function renewalInfo(
  db: Executor,
  ariId: string,
  now: Date,
): Promise<{ suggestedWindow: { start: string; end: string } }> {
  const version = await findReplacedVersion(db, ariId);
  if (!version) throw notFoundProblem(`certificate ${ariId}`);
  const certificate = await db
    .selectFrom('certificates')
    .select(['renewalPolicyId', 'status', 'currentVersionId'])
    .where('id', '=', version.certificateId)
    .executeTakeFirstOrThrow();
  const policy = await db
    .selectFrom('renewalPolicies')
    .select('renewalWindowDays')
    .where('id', '=', certificate.renewalPolicyId)
    .executeTakeFirst();
  const revoked = Boolean(
    await db
      .selectFrom('revocations')
      .select('id')
      .where('issuerId', '=', version.issuerId)
      .where('serial', '=', version.serial)
      .executeTakeFirst(),
  );
  const window = suggestedWindow(version, policy?.renewalWindowDays ?? 30, revoked, now);
  return { suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() } };
}
