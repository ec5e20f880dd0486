import type { NotificationEvent } from '@certctl/core';
import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { AlertSeverity } from '../../db/tables.js';
import { channelsForSeverity, EVENT_SEVERITY } from '../notifications/alert-routing.js';
import { certificateFacts, certificateOfMessage } from './certificate-facts.js';
import { expiryIncidentKey } from '../notifications/expiry-alerts.js';
import { enqueueNotifications } from '../notifications/notification-outbox.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

const SUBJECTS: Partial<Record<NotificationEvent, string>> = {
  issued: 'issued',
  renewed: 'renewed',
  renewal_failed: 'renewal failed',
  deploy_failed: 'deployment failed',
  revoked: 'revoked',
  policy_violation: 'policy violation',
};

export interface CertificateEvent {
  certificateId: string;
  event: 'issued' | 'renewed' | 'renewal_failed' | 'deploy_failed' | 'revoked' | 'policy_violation';
  /** Unique per occurrence (a job id, a version id), so the same event is never announced twice. */
  occurrence: string;
  detail?: string;
  /** Overrides the event's usual severity (a policy violation is as loud as its rule says). */
  severity?: AlertSeverity;
}

/**
 * Queues the notifications of a certificate lifecycle event in the caller's transaction, routed by
 * the event's severity through the certificate's policy matrix, to the owner by default. After a
 * renewal it also queues `resolve` for the incidents expiry alerts opened on earlier versions, and
 * retires their undelivered expiry alerts.
 */
export async function notifyCertificateEvent(trx: Executor, deps: ServiceDeps, event: CertificateEvent): Promise<void> {
  const facts = await certificateFacts(trx, event.certificateId);
  if (!facts) return;
  const policy = await trx
    .selectFrom('renewalPolicies')
    .select(['alertChannels'])
    .where('id', '=', facts.renewalPolicyId)
    .executeTakeFirst();
  const severity = event.severity ?? EVENT_SEVERITY[event.event] ?? 'warning';
  const now = deps.now();
  // Renewal failures of one version are one incident (each retry round pages into it), which the
  // renewal that finally succeeds resolves; other events are an incident per occurrence.
  const incidentKey =
    event.event === 'renewal_failed' && facts.versionId
      ? renewalFailureIncidentKey(facts.id, facts.versionId)
      : `certctl-${event.event}-${facts.id}-${event.occurrence}`;
  await enqueueNotifications(trx, deps, {
    dedupBase: `${event.event}:${event.occurrence}`,
    channels: channelsForSeverity(policy, severity),
    certificateId: facts.id,
    versionId: facts.versionId ?? undefined,
    message: {
      event: event.event,
      severity,
      subject: `[certctl] ${facts.commonName}: ${SUBJECTS[event.event] ?? event.event}`,
      text: `Certificate ${facts.name} (${facts.commonName}): ${SUBJECTS[event.event] ?? event.event}${event.detail ? `: ${event.detail}` : ''}.`,
      certificate: certificateOfMessage(facts, now),
      incidentKey,
      recipients: [facts.ownerEmail],
      occurredAt: now.toISOString(),
    },
  });
  if (event.event === 'renewed' || event.event === 'issued')
    await resolveEarlierIncidents(trx, deps, facts.id, facts.versionId);
}

export function renewalFailureIncidentKey(certificateId: string, versionId: string): string {
  return `certctl-renewal_failed-${certificateId}-${versionId}`;
}

/** Expiry alerts and renewal failures of earlier versions: a renewal ends them. */
async function resolveEarlierIncidents(
  trx: Executor,
  deps: ServiceDeps,
  certificateId: string,
  currentVersionId: string | null,
): Promise<void> {
  const earlier = await trx
    .selectFrom('notificationOutbox')
    .select(['id', 'versionId', 'notifierId', 'channel', 'status', 'event'])
    .where('certificateId', '=', certificateId)
    .where('action', '=', 'send')
    .where('event', 'in', ['expiring', 'expired', 'renewal_failed'])
    .$if(currentVersionId !== null, (qb) => qb.where('versionId', '!=', currentVersionId!))
    .execute();
  const undelivered = earlier
    .filter((r) => r.event !== 'renewal_failed' && (r.status === 'pending' || r.status === 'failed'))
    .map((r) => r.id);
  if (undelivered.length > 0) {
    // Nobody needs to hear that the previous certificate is about to expire once it has been replaced.
    await trx
      .updateTable('notificationOutbox')
      .set({
        status: 'dead',
        lastError: 'superseded: the certificate was renewed before this alert was delivered',
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: deps.now(),
      })
      .where('id', 'in', undelivered)
      .execute();
  }
  const resolvable = new Set(
    deps.registry
      .list('notifier')
      .filter((e) => (e.capabilities as { resolve?: boolean } | undefined)?.resolve)
      .map((e) => e.id),
  );
  const opened = new Map<string, { versionId: string; notifierId: string; channel: string; incidentKey: string }>();
  for (const row of earlier) {
    if (row.status !== 'sent' || !row.versionId || !resolvable.has(row.channel)) continue;
    const failure = row.event === 'renewal_failed';
    const incidentKey = failure
      ? renewalFailureIncidentKey(certificateId, row.versionId)
      : expiryIncidentKey(certificateId, row.versionId);
    // Expiry incidents keep their historical resolve key (one per version and notifier).
    const dedupKey = failure
      ? `resolve:${incidentKey}|${row.notifierId}`
      : `resolve:${row.versionId}|${row.notifierId}`;
    opened.set(dedupKey, {
      versionId: row.versionId,
      notifierId: row.notifierId,
      channel: row.channel,
      incidentKey,
    });
  }
  for (const [dedupKey, incident] of opened) {
    await trx
      .insertInto('notificationOutbox')
      .values({
        id: newId('notification'),
        dedupKey,
        action: 'resolve',
        event: 'renewed',
        severity: 'informational',
        channel: incident.channel,
        notifierId: incident.notifierId,
        certificateId,
        versionId: incident.versionId,
        payload: JSON.stringify({
          event: 'renewed',
          severity: 'informational',
          subject: 'resolved by renewal',
          text: 'The certificate was renewed.',
          incidentKey: incident.incidentKey,
          occurredAt: deps.now().toISOString(),
        }),
        maxAttempts: deps.settings.notifications.maxAttempts,
        nextAttemptAt: deps.now(),
      })
      .onConflict((oc) => oc.column('dedupKey').doNothing())
      .execute();
  }
}
