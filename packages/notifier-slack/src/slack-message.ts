import { eventTitle, notificationFacts } from '@certctl/connector-utils';
import type { Notification, NotificationSeverity } from '@certctl/core';

/** Slack mrkdwn treats `&`, `<` and `>` as control characters; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const SEVERITY_EMOJI: Record<NotificationSeverity, string> = {
  informational: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
  channel?: string;
  username?: string;
  icon_emoji?: string;
}

/**
 * The Block Kit message: a header with the event, the subject and text, the certificate facts as
 * fields, a button to the dashboard, and the dedup key in a context line. `text` is the subject: Slack
 * shows it in notifications and where blocks cannot be rendered. Lengths are cut to Slack's limits.
 */
export function buildSlackPayload(
  notification: Notification,
  link: string | undefined,
  options: { channel?: string; username?: string; icon_emoji?: string },
): SlackPayload {
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${eventTitle(notification.event)}: ${notification.subject}`, 150),
        emoji: true,
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `${SEVERITY_EMOJI[notification.severity]} *${escapeMrkdwn(notification.subject)}*\n${escapeMrkdwn(notification.text)}`,
          3000,
        ),
      },
    },
  ];
  const facts = notificationFacts(notification).filter((f) => f.label !== 'Event');
  if (facts.length > 0) {
    blocks.push({
      type: 'section',
      fields: facts
        .slice(0, 10)
        .map((f) => ({ type: 'mrkdwn', text: truncate(`*${f.label}*\n${escapeMrkdwn(f.value)}`, 2000) })),
    });
  }
  if (link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in certctl' }, url: link }],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `certctl · ${notification.occurredAt.toISOString()} · ${escapeMrkdwn(notification.dedupKey)}`,
          3000,
        ),
      },
    ],
  });
  return {
    text: truncate(notification.subject, 3000),
    blocks,
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.username ? { username: options.username } : {}),
    ...(options.icon_emoji ? { icon_emoji: options.icon_emoji } : {}),
  };
}
