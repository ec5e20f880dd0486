import type { Executor } from '../../db/open-database.js';
import type { OutboxMessage } from '../notifications/notification-outbox.js';

export interface CertificateFacts {
  id: string;
  name: string;
  commonName: string;
  sans: string[];
  environment: string;
  status: string;
  expiresAt: Date | null;
  versionId: string | null;
  serial: string | null;
  issuerId: string;
  ownerName: string;
  ownerEmail: string;
  teamName: string;
  renewalPolicyId: string;
}

/** The certificate, owner and team columns every alert about a certificate reads (with certificates ⋈ owners ⋈ teams). */
export const CERTIFICATE_ALERT_COLUMNS = [
  'certificates.id',
  'certificates.name',
  'certificates.commonName',
  'certificates.sans',
  'certificates.environment',
  'certificates.status',
  'certificates.issuerId',
  'certificates.renewalPolicyId',
  'owners.name as ownerName',
  'owners.email as ownerEmail',
  'teams.name as teamName',
] as const;

/**
 * What an alert about a certificate says about it: names, owner (the default recipient), team,
 * current version. The notifiers render these facts themselves (connector-utils' notificationFacts)
 * from the notification's `certificate`, built by certificateOfMessage.
 */
export async function certificateFacts(db: Executor, certificateId: string): Promise<CertificateFacts | undefined> {
  const row = await db
    .selectFrom('certificates')
    .innerJoin('owners', 'owners.id', 'certificates.ownerId')
    .innerJoin('teams', 'teams.id', 'certificates.teamId')
    .leftJoin('certificateVersions', 'certificateVersions.id', 'certificates.currentVersionId')
    .select([
      ...CERTIFICATE_ALERT_COLUMNS,
      'certificates.expiresAt',
      'certificates.currentVersionId as versionId',
      'certificateVersions.serial',
    ])
    .where('certificates.id', '=', certificateId)
    .executeTakeFirst();
  return row ? { ...row, serial: row.serial ?? null } : undefined;
}

export function certificateOfMessage(facts: CertificateFacts, now: Date): NonNullable<OutboxMessage['certificate']> {
  return {
    id: facts.id,
    name: facts.name,
    commonName: facts.commonName,
    sans: facts.sans,
    ...(facts.serial && { serial: facts.serial }),
    ...(facts.expiresAt && {
      notAfter: facts.expiresAt.toISOString(),
      daysRemaining: Math.floor((facts.expiresAt.getTime() - now.getTime()) / 86_400_000),
    }),
    issuer: facts.issuerId,
    owner: facts.ownerEmail,
    team: facts.teamName,
    ...(facts.environment && { environment: facts.environment }),
  };
}
