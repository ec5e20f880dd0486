import { createHash } from 'node:crypto';
import { eventTitle, notificationFacts } from '@certctl/connector-utils';
import type { Notification, NotificationSeverity } from '@certctl/core';
import type { OpsgenieConfig } from './opsgenie-config.js';

const PRIORITY: Record<NotificationSeverity, OpsgenieConfig['priority'] & string> = {
  critical: 'P1',
  warning: 'P3',
  informational: 'P5',
};

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * OpsGenie caps aliases at 512 characters, and the close call carries the alias as a path segment,
 * where "." and ".." (even percent-encoded) are dot segments every URL parser removes. Such dedup
 * keys become their SHA-256, the same for create and close.
 */
export function opsgenieAlias(dedupKey: string): string {
  const usable = dedupKey.length <= 512 && dedupKey !== '.' && dedupKey !== '..';
  return usable ? dedupKey : `sha256:${createHash('sha256').update(dedupKey).digest('hex')}`;
}

/** The Alert API v2 create request for a notification, within the documented field limits. */
export function createAlertRequest(
  notification: Notification,
  config: OpsgenieConfig,
  link: string | undefined,
): Record<string, unknown> {
  const facts = notificationFacts(notification);
  const details: Record<string, string> = { dedup_key: notification.dedupKey };
  for (const fact of facts) details[fact.label.toLowerCase().replace(/\s+/g, '_')] = truncate(fact.value, 8000);
  if (link) details.link = link;
  const description = [
    notification.text,
    '',
    ...facts.map((f) => `${f.label}: ${f.value}`),
    ...(link ? ['', `Open in certctl: ${link}`] : []),
  ].join('\n');
  const tags = [...new Set(['certctl', notification.event, ...config.tags])].slice(0, 20);
  return {
    // OpsGenie refuses a blank message.
    message: truncate(notification.subject.trim() || eventTitle(notification.event), 130),
    alias: opsgenieAlias(notification.dedupKey),
    description: truncate(description, 15000),
    priority: config.priority ?? PRIORITY[notification.severity],
    tags,
    details,
    entity: notification.certificate?.commonName ? truncate(notification.certificate.commonName, 512) : undefined,
    source: config.source,
  };
}
