import { createHttpClient, notificationLink } from '@certctl/connector-utils';
import { type ConnectorContext, type NotifierInstance, VendorApiError } from '@certctl/core';
import { adaptiveCardMessage, messageCard } from './teams-cards.js';
import { type TeamsConfig, teamsFormat } from './teams-config.js';

const CONNECTOR = 'notifier-teams';

export function createTeamsNotifier(config: TeamsConfig, ctx: ConnectorContext): NotifierInstance {
  const format = teamsFormat(config);
  // The signature (Workflows) or the path (legacy) is the credential: never name the URL.
  const label =
    format === 'message_card' ? 'POST to the Teams connector webhook' : 'POST to the Teams Workflows webhook';

  const http = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    timeoutMs: config.request_timeout_seconds * 1000,
    userAgent: 'certctl-notifier-teams',
    errors: {
      hint: (status) =>
        status === 401 || status === 403
          ? 'the webhook URL signature was refused: copy the URL again from the workflow'
          : status === 404
            ? 'the workflow or connector was deleted: create a new one and update webhook_url'
            : status === 400
              ? 'Teams refused the card (a bug in the notifier: please report it)'
              : undefined,
    },
  });

  return {
    async send(notification) {
      const link = notificationLink(notification, ctx.environment.publicBaseUrl);
      const body =
        format === 'message_card' ? messageCard(notification, link) : adaptiveCardMessage(notification, link);
      const response = await http.request({
        method: 'POST',
        url: config.webhook_url,
        label,
        body,
        signal: notification.signal,
      });
      const text = response.text();
      // Legacy connectors answer 200 with "1" on success, and 200 with an error text when Teams did not deliver.
      if (format === 'message_card' && text.trim() !== '1') {
        const said = text.replace(/\s+/g, ' ').trim().slice(0, 300);
        throw new VendorApiError({
          connector: CONNECTOR,
          status: response.status,
          body: text,
          retryable: /\b(429|5\d\d)\b/.test(said),
          message: `${label}: Teams did not deliver the message: ${said || 'empty answer'}`,
        });
      }
      ctx.logger.debug({ event: notification.event, format }, 'posted to Teams');
      return {
        detail:
          format === 'message_card' ? 'posted a MessageCard to Teams' : 'posted an Adaptive Card to the Teams workflow',
      };
    },
  };
}
