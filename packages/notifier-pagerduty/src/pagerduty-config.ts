import { secret } from '@certctl/core';
import { z } from 'zod';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const pagerdutyConfigSchema = z.strictObject({
  /** The 32-character integration key of an Events API v2 integration on a PagerDuty service. */
  routing_key: secret(z.string().regex(/^[A-Za-z0-9]{32}$/, 'must be the 32-character integration key')),
  /** A fixed PagerDuty severity for every event; unset maps certctl's (critical → critical, warning → warning, informational → info). */
  severity: z.enum(['critical', 'error', 'warning', 'info']).optional(),
  /** The Events API v2 endpoint; `https://events.eu.pagerduty.com/v2/enqueue` for EU service regions. */
  events_url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).default(PAGERDUTY_EVENTS_URL),
  /** `payload.source` when the notification has no certificate (default `certctl`). */
  source: z.string().min(1).max(255).default('certctl'),
  request_timeout_seconds: z.number().int().min(1).max(120).default(10),
});

export type PagerDutyConfig = z.output<typeof pagerdutyConfigSchema>;

export const pagerdutyEnvMapping = {
  CERTCTL_PAGERDUTY_ROUTING_KEY: 'routing_key',
  CERTCTL_PAGERDUTY_SEVERITY: 'severity',
  CERTCTL_PAGERDUTY_EVENTS_URL: 'events_url',
} as const;
