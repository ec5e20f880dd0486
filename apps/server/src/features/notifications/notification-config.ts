import { z } from 'zod';
import { bool, commaList, durationMs, positiveInt } from '../../config/env-values.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';

/** The server's own alerting variables (notifier connectors bring their own `CERTCTL_SMTP_*`, `CERTCTL_SLACK_*`, ...). */
export const NOTIFICATION_VARIABLES = {
  CERTCTL_SCHEDULER_NOTIFICATION_PROCESS_INTERVAL: durationMs
    .default(60_000)
    .describe('How often pending notifications are sent.'),
  CERTCTL_NOTIFICATION_RETRY_INTERVAL: durationMs
    .default(60_000)
    .describe('Backoff base for a failed notification: it waits base × 2^(attempt-1), at most an hour.'),
  CERTCTL_NOTIFICATION_MAX_ATTEMPTS: positiveInt
    .default(5)
    .describe('Attempts before a notification is dead-lettered.'),
  CERTCTL_NOTIFICATION_SEND_TIMEOUT: durationMs
    .default(30_000)
    .describe('Deadline of one send through a notifier connector.'),
  CERTCTL_DIGEST_ENABLED: bool.default(false).describe('Send a periodic summary of expiring certificates.'),
  CERTCTL_DIGEST_INTERVAL: durationMs.default(86_400_000).describe('How often the digest is sent.'),
  CERTCTL_DIGEST_RECIPIENTS: commaList
    .optional()
    .describe('Comma-separated addresses of the digest (default: the owners of the certificates).'),
  CERTCTL_DIGEST_CHANNELS: commaList
    .optional()
    .describe('Comma-separated notifier channels of the digest (default Email).'),
  CERTCTL_AGENT_OFFLINE_ALERT_CHANNELS: commaList
    .optional()
    .describe('Comma-separated channels of agent_offline alerts (default Email).'),
  CERTCTL_NOTIFY_DASHBOARD_URL: z.string().url().optional().describe('Base URL of the dashboard, for links in alerts.'),
} as const;

export interface NotificationConfig {
  processIntervalMs: number;
  /** Backoff base: a retryable failure waits base × 2^(attempt-1), capped at an hour. */
  retryBaseMs: number;
  maxAttempts: number;
  sendTimeoutMs: number;
  digest: { enabled: boolean; intervalMs: number; recipients: string[]; channels: string[] };
  /** Where agent_offline alerts go (they belong to no certificate, hence no policy). */
  agentOfflineChannels: string[];
  /** Base URL of the dashboard for links in alerts. */
  dashboardUrl?: string;
}

type Parsed = z.output<z.ZodObject<typeof NOTIFICATION_VARIABLES>>;

export function toNotificationConfig(env: Parsed): NotificationConfig {
  return {
    processIntervalMs: env.CERTCTL_SCHEDULER_NOTIFICATION_PROCESS_INTERVAL,
    retryBaseMs: env.CERTCTL_NOTIFICATION_RETRY_INTERVAL,
    maxAttempts: env.CERTCTL_NOTIFICATION_MAX_ATTEMPTS,
    sendTimeoutMs: env.CERTCTL_NOTIFICATION_SEND_TIMEOUT,
    digest: {
      enabled: env.CERTCTL_DIGEST_ENABLED,
      intervalMs: env.CERTCTL_DIGEST_INTERVAL,
      recipients: env.CERTCTL_DIGEST_RECIPIENTS ?? [],
      channels: env.CERTCTL_DIGEST_CHANNELS ?? ['Email'],
    },
    agentOfflineChannels: env.CERTCTL_AGENT_OFFLINE_ALERT_CHANNELS ?? ['Email'],
    dashboardUrl: env.CERTCTL_NOTIFY_DASHBOARD_URL,
  };
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    notifications: NotificationConfig;
  }
}

/** The notifications feature's variables, assembled into `config.notifications`. */
export const notificationSettings = defineFeatureSettings({
  key: 'notifications',
  variables: NOTIFICATION_VARIABLES,
  build: toNotificationConfig,
});
