import { sql } from 'kysely';
import {
  channelsForSeverity,
  crossedThreshold,
  DEFAULT_THRESHOLDS_DAYS,
  severityForThreshold,
} from './alert-routing.js';
import { CERTIFICATE_ALERT_COLUMNS, certificateOfMessage } from '../certificates/certificate-facts.js';
import { enqueueNotifications } from './notification-outbox.js';
import { onShortLivedProfile } from '../short-lived/short-lived.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

/** Statuses whose certificates still matter to someone: a renewal in progress or failed does not make expiry less real. */
const ALERTING_STATUSES = ['active', 'expiring', 'expired', 'renewal_in_progress', 'failed'] as const;

export interface ExpiryAlertResult {
  examined: number;
  enqueued: number;
}

function describeDays(days: number): string {
  if (days < 0) return `expired ${-days} day(s) ago`;
  if (days === 0) return 'expires within 24 hours';
  return `expires in ${days} day(s)`;
}

/**
 * Queues an alert for every certificate version that has crossed one of its policy's thresholds
 * (only the most urgent crossed one), routed by the policy's severity map and channel matrix. The
 * outbox's dedup key makes each (version, threshold, notifier) alert happen once, ever.
 */
export async function enqueueExpiryAlerts(deps: ServiceDeps, now = deps.now()): Promise<ExpiryAlertResult> {
  const widest = await deps.db.selectFrom('renewalPolicies').select('alertThresholdsDays').execute();
  const maxThreshold = Math.max(0, ...widest.flatMap((p) => p.alertThresholdsDays ?? DEFAULT_THRESHOLDS_DAYS));
  const candidates = await deps.db
    .selectFrom('certificates')
    .innerJoin('renewalPolicies', 'renewalPolicies.id', 'certificates.renewalPolicyId')
    .innerJoin('certificateVersions', 'certificateVersions.id', 'certificates.currentVersionId')
    .innerJoin('owners', 'owners.id', 'certificates.ownerId')
    .innerJoin('teams', 'teams.id', 'certificates.teamId')
    .select([
      ...CERTIFICATE_ALERT_COLUMNS,
      'certificateVersions.id as versionId',
      'certificateVersions.serial',
      'certificateVersions.notAfter',
      'renewalPolicies.alertThresholdsDays',
      'renewalPolicies.alertChannels',
      'renewalPolicies.alertSeverityMap',
    ])
    .where('certificates.status', 'in', [...ALERTING_STATUSES])
    // Short-lived certificates expire by design, within the hour: an expiry alert would be noise.
    .where((eb) => eb.not(onShortLivedProfile(eb)))
    .where(
      sql<boolean>`certificate_versions.not_after < ${now}::timestamptz + make_interval(days => ${maxThreshold + 1}::int)`,
    )
    .orderBy('certificateVersions.notAfter')
    .limit(10_000)
    .execute();
  const result: ExpiryAlertResult = { examined: candidates.length, enqueued: 0 };
  if (candidates.length === 0) return result;
  const done = new Set(
    (
      await deps.db
        .selectFrom('notificationOutbox')
        .select(['versionId', 'thresholdDays'])
        .distinct()
        .where(
          'versionId',
          'in',
          candidates.map((c) => c.versionId),
        )
        .where('thresholdDays', 'is not', null)
        .execute()
    ).map((r) => `${r.versionId}:${r.thresholdDays}`),
  );
  for (const cert of candidates) {
    const threshold = crossedThreshold(cert.alertThresholdsDays ?? DEFAULT_THRESHOLDS_DAYS, cert.notAfter, now);
    if (threshold === undefined || done.has(`${cert.versionId}:${threshold}`)) continue;
    const severity = severityForThreshold(cert, threshold);
    const daysLeft = Math.floor((cert.notAfter.getTime() - now.getTime()) / 86_400_000);
    const expired = cert.notAfter.getTime() <= now.getTime();
    const when = describeDays(daysLeft);
    const rows = await enqueueNotifications(deps.db, deps, {
      dedupBase: `expiry:${cert.versionId}:${threshold}`,
      channels: channelsForSeverity(cert, severity),
      certificateId: cert.id,
      versionId: cert.versionId,
      thresholdDays: threshold,
      message: {
        event: expired ? 'expired' : 'expiring',
        severity,
        subject: `[certctl] ${cert.commonName} ${when}`,
        // Owner, team, serial and expiry travel in `certificate`; each notifier lays them out (notificationFacts).
        text: `Certificate ${cert.name} (${cert.commonName}) ${when}. It crossed its ${threshold}-day alert threshold (${severity}).`,
        certificate: certificateOfMessage({ ...cert, expiresAt: cert.notAfter }, now),
        // One incident per certificate version: the 0-day page and a 7-day one group together, and a renewal resolves it.
        incidentKey: expiryIncidentKey(cert.id, cert.versionId),
        recipients: [cert.ownerEmail],
        occurredAt: now.toISOString(),
      },
    });
    result.enqueued += rows.length;
  }
  if (result.enqueued > 0) deps.logger.info({ enqueued: result.enqueued }, 'expiry alerts queued');
  return result;
}

export function expiryIncidentKey(certificateId: string, versionId: string): string {
  return `certctl-expiry-${certificateId}-${versionId}`;
}
