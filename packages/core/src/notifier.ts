import type { ConnectionTestResult } from './issuer.js';

export type NotificationEvent =
  | 'expiring'
  | 'expired'
  | 'issued'
  | 'renewed'
  | 'renewal_failed'
  | 'deploy_failed'
  | 'revoked'
  | 'agent_offline'
  | 'endpoint_unhealthy'
  | 'policy_violation'
  | 'digest'
  | 'test';

export type NotificationSeverity = 'informational' | 'warning' | 'critical';

export interface NotificationCertificate {
  id: string;
  name: string;
  commonName: string;
  sans: string[];
  serial?: string;
  notAfter?: Date;
  daysRemaining?: number;
  issuer?: string;
  owner?: string;
  team?: string;
  environment?: string;
}

export interface Notification {
  event: NotificationEvent;
  severity: NotificationSeverity;
  subject: string;
  text: string;
  html?: string;
  certificate?: NotificationCertificate;
  /** Same key, same incident: incident tools group on it and `resolve` closes it. */
  dedupKey: string;
  /** Channel-specific recipients, e.g. email addresses; the notifier's config decides when absent. */
  recipients?: string[];
  /** A link back to the certificate in the dashboard. */
  url?: string;
  occurredAt: Date;
  signal?: AbortSignal;
}

export interface SendResult {
  /** The vendor's id for what was created, when it gives one. */
  providerId?: string;
  detail: string;
}

export interface NotifierInstance {
  send(notification: Notification): Promise<SendResult>;
  /** Closes the incident opened under `dedupKey`. Required when `capabilities.resolve`. */
  resolve?(dedupKey: string, options?: { signal?: AbortSignal }): Promise<void>;
  testConnection?(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
