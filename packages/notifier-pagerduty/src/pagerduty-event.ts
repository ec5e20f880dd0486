import { createHash } from 'node:crypto';
import { eventTitle, notificationFacts } from '@certctl/connector-utils';
import type { Notification, NotificationSeverity } from '@certctl/core';
import type { PagerDutyConfig } from './pagerduty-config.js';

const SEVERITY: Record<NotificationSeverity, 'critical' | 'warning' | 'info'> = {
  critical: 'critical',
  warning: 'warning',
  informational: 'info',
};

/** PagerDuty caps dedup keys at 255 characters; longer keys are replaced by their SHA-256, the same for trigger and resolve. */
export function pagerdutyDedupKey(dedupKey: string): string {
  return dedupKey.length <= 255 ? dedupKey : `sha256:${createHash('sha256').update(dedupKey).digest('hex')}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The Events API v2 trigger event for a notification. */
export function triggerEvent(
  notification: Notification,
  config: PagerDutyConfig,
  link: string | undefined,
  clientUrl: string | undefined,
): Record<string, unknown> {
  const cert = notification.certificate;
  const details: Record<string, string> = { text: notification.text };
  for (const fact of notificationFacts(notification))
    details[fact.label.toLowerCase().replace(/\s+/g, '_')] = fact.value;
  return {
    routing_key: config.routing_key,
    event_action: 'trigger',
    dedup_key: pagerdutyDedupKey(notification.dedupKey),
    payload: {
      // PagerDuty refuses a blank summary or source.
      summary: truncate(notification.subject.trim() || eventTitle(notification.event), 1024),
      source: truncate(cert?.commonName.trim() || config.source, 255),
      severity: config.severity ?? SEVERITY[notification.severity],
      timestamp: notification.occurredAt.toISOString(),
      component: cert?.name,
      group: cert?.environment ?? cert?.team,
      class: notification.event,
      custom_details: details,
    },
    client: 'certctl',
    ...(clientUrl ? { client_url: clientUrl } : {}),
    ...(link ? { links: [{ href: link, text: 'Open in certctl' }] } : {}),
  };
}

export function resolveEvent(dedupKey: string, config: PagerDutyConfig): Record<string, unknown> {
  return { routing_key: config.routing_key, event_action: 'resolve', dedup_key: pagerdutyDedupKey(dedupKey) };
}
