import type { CertificateStatus } from '../../db/tables.js';

const DAY_MS = 86_400_000;

/** Statuses the expiry clock never overrides. */
const STICKY: ReadonlySet<CertificateStatus> = new Set([
  'revoked',
  'archived',
  'renewal_in_progress',
  'pending',
  'failed',
]);

/** Where an issued certificate stands against the clock: active, expiring (inside the renewal window) or expired. */
export function statusByExpiry(
  current: CertificateStatus,
  expiresAt: Date | null,
  now: Date,
  renewalWindowDays: number,
): CertificateStatus {
  if (STICKY.has(current) || !expiresAt) return current;
  if (expiresAt.getTime() <= now.getTime()) return 'expired';
  if (expiresAt.getTime() - now.getTime() <= renewalWindowDays * DAY_MS) return 'expiring';
  return 'active';
}

/** Whether a certificate in this status may get a new issuance or renewal job. */
export function canIssue(status: CertificateStatus): boolean {
  return status !== 'revoked' && status !== 'archived';
}
