import type { Notification } from '@certctl/core';

export interface NotificationFact {
  label: string;
  value: string;
}

const EVENT_TITLES: Record<Notification['event'], string> = {
  expiring: 'Certificate expiring',
  expired: 'Certificate expired',
  issued: 'Certificate issued',
  renewed: 'Certificate renewed',
  renewal_failed: 'Renewal failed',
  deploy_failed: 'Deployment failed',
  revoked: 'Certificate revoked',
  agent_offline: 'Agent offline',
  endpoint_unhealthy: 'Endpoint unhealthy',
  policy_violation: 'Policy violation',
  digest: 'Certificate digest',
  test: 'Test notification',
};

/** A short human title for the event, e.g. `Renewal failed`. */
export function eventTitle(event: Notification['event']): string {
  return EVENT_TITLES[event] ?? event;
}

/** `2026-12-01 14:00 UTC`: unambiguous for readers in any time zone. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The facts every channel shows (certificate, CN, expiry, days left, severity ...), in reading order; absent facts are left out. */
export function notificationFacts(notification: Notification): NotificationFact[] {
  const facts: NotificationFact[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') facts.push({ label, value });
  };
  const cert = notification.certificate;
  add('Event', eventTitle(notification.event));
  add('Severity', notification.severity);
  if (cert) {
    add('Certificate', cert.name);
    add('Common name', cert.commonName);
    const extraSans = cert.sans.filter((san) => san !== cert.commonName);
    if (extraSans.length > 0)
      add('SANs', extraSans.slice(0, 10).join(', ') + (extraSans.length > 10 ? ` (+${extraSans.length - 10})` : ''));
    if (cert.notAfter) add('Expires', formatUtc(cert.notAfter));
    if (cert.daysRemaining !== undefined) add('Days left', String(cert.daysRemaining));
    add('Serial', cert.serial);
    add('Issuer', cert.issuer);
    add('Environment', cert.environment);
    add('Owner', cert.owner);
    add('Team', cert.team);
  }
  return facts;
}

/**
 * The dashboard link for a notification: its own `url`, else the certificate's page under the
 * server's public base URL, else undefined.
 */
export function notificationLink(notification: Notification, publicBaseUrl: string | undefined): string | undefined {
  if (notification.url) return notification.url;
  if (!publicBaseUrl) return undefined;
  const base = publicBaseUrl.replace(/\/+$/, '');
  return notification.certificate ? `${base}/certificates/${encodeURIComponent(notification.certificate.id)}` : base;
}
