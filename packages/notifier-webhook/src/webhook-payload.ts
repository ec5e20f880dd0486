import type { Notification } from '@certctl/core';

/** The JSON body of a `notify` delivery: the notification in snake_case, dates as ISO 8601. */
export function notifyPayload(notification: Notification, link: string | undefined): Record<string, unknown> {
  const cert = notification.certificate;
  return {
    action: 'notify',
    event: notification.event,
    severity: notification.severity,
    subject: notification.subject,
    text: notification.text,
    ...(notification.html !== undefined ? { html: notification.html } : {}),
    dedup_key: notification.dedupKey,
    occurred_at: notification.occurredAt.toISOString(),
    ...(link ? { url: link } : {}),
    ...(notification.recipients ? { recipients: notification.recipients } : {}),
    certificate: cert
      ? {
          id: cert.id,
          name: cert.name,
          common_name: cert.commonName,
          sans: cert.sans,
          serial: cert.serial ?? null,
          not_after: cert.notAfter?.toISOString() ?? null,
          days_remaining: cert.daysRemaining ?? null,
          issuer: cert.issuer ?? null,
          owner: cert.owner ?? null,
          team: cert.team ?? null,
          environment: cert.environment ?? null,
        }
      : null,
  };
}

/** The JSON body of a `resolve` delivery: the incident opened under `dedup_key` is over. */
export function resolvePayload(dedupKey: string, at: Date): Record<string, unknown> {
  return { action: 'resolve', dedup_key: dedupKey, occurred_at: at.toISOString() };
}
