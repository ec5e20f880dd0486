import { eventTitle, notificationFacts } from '@certctl/connector-utils';
import type { Notification, NotificationSeverity } from '@certctl/core';

const SEVERITY_COLOR: Record<NotificationSeverity, string> = {
  informational: '#0b6bcb',
  warning: '#b7791f',
  critical: '#c53030',
};

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The plain-text part: the text, the facts one per line, and the dashboard link. */
export function emailText(notification: Notification, link: string | undefined): string {
  const facts = notificationFacts(notification);
  const width = Math.max(0, ...facts.map((f) => f.label.length));
  return [
    notification.text,
    '',
    ...facts.map((f) => `${`${f.label}:`.padEnd(width + 2)}${f.value}`),
    ...(link ? ['', `Open in certctl: ${link}`] : []),
    '',
    '-- ',
    `Sent by certctl. Reference: ${notification.dedupKey}`,
    '',
  ].join('\n');
}

/** The HTML part: the notification's own HTML when routing supplied one, else a small table of facts. */
export function emailHtml(notification: Notification, link: string | undefined): string {
  if (notification.html !== undefined) return notification.html;
  const facts = notificationFacts(notification);
  const rows = facts
    .map(
      (f) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555">${escapeHtml(f.label)}</th><td>${escapeHtml(f.value)}</td></tr>`,
    )
    .join('');
  const color = SEVERITY_COLOR[notification.severity];
  return [
    '<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#111">',
    `<p style="color:${color};font-weight:bold;margin:0 0 4px">${escapeHtml(eventTitle(notification.event))} · ${escapeHtml(notification.severity)}</p>`,
    `<h2 style="margin:0 0 12px">${escapeHtml(notification.subject)}</h2>`,
    `<p style="white-space:pre-wrap">${escapeHtml(notification.text)}</p>`,
    rows ? `<table cellspacing="0" cellpadding="0">${rows}</table>` : '',
    link ? `<p><a href="${escapeHtml(link)}">Open in certctl</a></p>` : '',
    `<p style="color:#888;font-size:12px">Sent by certctl. Reference: ${escapeHtml(notification.dedupKey)}</p>`,
    '</body></html>',
  ].join('');
}
