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

/** Retry delay for attempt n (1-based): interval × 2^(n-1), ±20 % jitter, at most an hour. */
export function retryDelayMs(attempt: number, intervalSeconds: number, random: () => number = Math.random): number {
  const base = Math.min(intervalSeconds * 1000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}
