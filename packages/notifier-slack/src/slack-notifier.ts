import { createHttpClient, notificationLink } from '@certctl/connector-utils';
import type { ConnectorContext, NotifierInstance } from '@certctl/core';
import type { SlackConfig } from './slack-config.js';
import { buildSlackPayload } from './slack-message.js';

const CONNECTOR = 'notifier-slack';

/** Slack's documented webhook error codes, explained for the operator. */
const SLACK_HINTS: Record<string, string> = {
  invalid_payload: 'Slack could not read the message (a bug in the notifier: please report it)',
  no_text: 'the message had no text',
  invalid_blocks: 'Slack refused the Block Kit layout (a bug in the notifier: please report it)',
  invalid_token: 'the webhook URL is wrong or was revoked: create a new incoming webhook and update webhook_url',
  no_service: 'the incoming webhook was removed or disabled: create a new one and update webhook_url',
  no_service_id: 'the webhook URL is incomplete: copy it again from the Slack app settings',
  no_team: 'the Slack workspace behind the webhook no longer exists',
  team_disabled: 'the Slack workspace behind the webhook is disabled',
  channel_not_found: 'the channel no longer exists: point the webhook at another channel',
  channel_is_archived: 'the channel is archived: unarchive it or point the webhook at another channel',
  action_prohibited: 'a workspace admin restricted posting to this channel',
  posting_to_general_channel_denied: 'only admins may post to this channel',
  too_many_attachments: 'the message had too many attachments',
};

export function createSlackNotifier(config: SlackConfig, ctx: ConnectorContext): NotifierInstance {
  const http = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    timeoutMs: config.request_timeout_seconds * 1000,
    userAgent: 'certctl-notifier-slack',
    errors: {
      hint: (status, body) =>
        SLACK_HINTS[body.trim()] ??
        (status === 429 ? 'Slack rate-limited the webhook (about one message per second)' : undefined),
    },
  });
  return {
    async send(notification) {
      const payload = buildSlackPayload(
        notification,
        notificationLink(notification, ctx.environment.publicBaseUrl),
        config,
      );
      await http.request({
        method: 'POST',
        url: config.webhook_url,
        // The webhook path is the credential: never name it.
        label: 'POST to the Slack incoming webhook',
        body: payload,
        signal: notification.signal,
      });
      ctx.logger.debug({ event: notification.event, dedupKey: notification.dedupKey }, 'posted to Slack');
      return { detail: `posted to Slack${config.channel ? ` (${config.channel})` : ''}` };
    },
  };
}
