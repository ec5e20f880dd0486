import { secret } from '@certctl/core';
import { z } from 'zod';

export const teamsConfigSchema = z.strictObject({
  /** A Workflows (Power Automate) webhook URL, or a legacy Office 365 connector URL; its query or path is the credential. */
  webhook_url: secret(z.url({ protocol: /^https$/, error: 'must be an https:// URL' })),
  /**
   * `adaptive_card` for Workflows webhooks, `message_card` for legacy connectors (`…/webhookb2/…`);
   * `auto` picks by the URL.
   */
  format: z.enum(['auto', 'adaptive_card', 'message_card']).default('auto'),
  request_timeout_seconds: z.number().int().min(1).max(120).default(10),
});

export type TeamsConfig = z.output<typeof teamsConfigSchema>;

export const teamsEnvMapping = {
  CERTCTL_TEAMS_WEBHOOK_URL: 'webhook_url',
  CERTCTL_TEAMS_FORMAT: 'format',
} as const;

/** Legacy Office 365 connector URLs carry `/webhookb2/` (on `outlook.office.com` or `<tenant>.webhook.office.com`). */
export function teamsFormat(config: Pick<TeamsConfig, 'format' | 'webhook_url'>): 'adaptive_card' | 'message_card' {
  if (config.format !== 'auto') return config.format;
  return new URL(config.webhook_url).pathname.includes('/webhookb2/') ? 'message_card' : 'adaptive_card';
}
