import { eventTitle, notificationFacts } from '@certctl/connector-utils';
import type { Notification, NotificationSeverity } from '@certctl/core';

const CARD_COLOR: Record<NotificationSeverity, string> = {
  informational: 'Accent',
  warning: 'Warning',
  critical: 'Attention',
};
const THEME_COLOR: Record<NotificationSeverity, string> = {
  informational: '0078D7',
  warning: 'FFB900',
  critical: 'D13438',
};

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A Workflows webhook message: one Adaptive Card (schema 1.4, which every Teams client renders). */
export function adaptiveCardMessage(notification: Notification, link: string | undefined): Record<string, unknown> {
  const facts = notificationFacts(notification).filter((f) => f.label !== 'Event');
  const card: Record<string, unknown> = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      {
        type: 'TextBlock',
        text: eventTitle(notification.event),
        size: 'Small',
        weight: 'Bolder',
        color: CARD_COLOR[notification.severity],
        wrap: true,
      },
      { type: 'TextBlock', text: truncate(notification.subject, 1000), size: 'Large', weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: truncate(notification.text, 10_000), wrap: true },
      ...(facts.length > 0
        ? [{ type: 'FactSet', facts: facts.map((f) => ({ title: f.label, value: truncate(f.value, 1000) })) }]
        : []),
      { type: 'TextBlock', text: `certctl · ${notification.dedupKey}`, size: 'Small', isSubtle: true, wrap: true },
    ],
    ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in certctl', url: link }] } : {}),
  };
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

/** A legacy Office 365 connector MessageCard. */
export function messageCard(notification: Notification, link: string | undefined): Record<string, unknown> {
  const facts = notificationFacts(notification);
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: truncate(notification.subject, 1000),
    themeColor: THEME_COLOR[notification.severity],
    title: truncate(notification.subject, 1000),
    text: truncate(notification.text, 10_000),
    sections: [
      ...(facts.length > 0 ? [{ facts: facts.map((f) => ({ name: f.label, value: truncate(f.value, 1000) })) }] : []),
      { text: `certctl · ${notification.dedupKey}` },
    ],
    ...(link
      ? { potentialAction: [{ '@type': 'OpenUri', name: 'Open in certctl', targets: [{ os: 'default', uri: link }] }] }
      : {}),
  };
}
