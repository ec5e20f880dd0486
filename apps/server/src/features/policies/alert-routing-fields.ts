import { z } from 'zod';

/**
 * The alert routing fields of a renewal policy body. Tiers, channels and threshold keys are
 * checked again in the service (channels depend on the installed notifiers), so a bad value is a
 * 400 naming it, never a silently dropped alert.
 */
export const alertRoutingFields = {
  alert_channels: z
    .record(z.string().max(32), z.array(z.string().min(1).max(64)).max(16))
    .optional()
    .describe(
      'severity (informational, warning, critical) → channels (Email, Webhook, Slack, Teams, PagerDuty, OpsGenie, or an installed notifier type)',
    ),
  alert_severity_map: z
    .record(z.string().max(8), z.string().max(32))
    .optional()
    .describe('threshold in days → severity'),
};
