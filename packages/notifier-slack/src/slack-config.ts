import { envNames, secret } from '@certctl/core';
import { z } from 'zod';

export const slackConfigSchema = z.strictObject({
  /** `https://hooks.slack.com/services/T…/B…/…`: the path is the credential, so the whole URL is secret. */
  webhook_url: secret(z.url({ protocol: /^https$/, error: 'must be an https:// URL' })),
  /** Overrides the webhook's channel (only honoured by legacy custom-integration webhooks). */
  channel: z.string().min(1).max(80).optional(),
  username: z.string().min(1).max(80).optional(),
  icon_emoji: z
    .string()
    .regex(/^:[a-z0-9_+'-]+:$/, 'must look like :emoji_name:')
    .optional(),
  request_timeout_seconds: z.number().int().min(1).max(120).default(10),
});

export type SlackConfig = z.output<typeof slackConfigSchema>;

export const slackEnvMapping = envNames('CERTCTL_SLACK_', ['webhook_url', 'channel', 'username', 'icon_emoji']);
