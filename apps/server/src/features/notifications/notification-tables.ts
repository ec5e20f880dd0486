import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, Json, Timestamp, UpdatedAt } from '../../db/column-types.js';

export type AlertSeverity = 'informational' | 'warning' | 'critical';
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'dead';

export interface NotifiersTable {
  id: string;
  name: string;
  type: string;
  /** The connector config with every secret field encrypted (see connectors/config-cipher). */
  config: Json<Record<string, unknown>>;
  enabled: Generated<boolean>;
  source: Generated<'database' | 'env'>;
  testStatus: Generated<'untested' | 'ok' | 'failed'>;
  testDetail: string | null;
  lastTestedAt: Timestamp | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface NotificationOutboxTable {
  id: string;
  dedupKey: string;
  action: Generated<'send' | 'resolve'>;
  event: string;
  severity: AlertSeverity;
  channel: string;
  notifierId: string;
  certificateId: string | null;
  versionId: string | null;
  thresholdDays: number | null;
  payload: Json<Record<string, unknown>>;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  maxAttempts: number;
  nextAttemptAt: Timestamp;
  leaseOwner: string | null;
  leaseExpiresAt: Timestamp | null;
  lastError: string | null;
  providerId: string | null;
  sentAt: Timestamp | null;
  /** When someone first marked it read, and who (admin views). */
  readAt: Timestamp | null;
  readBy: string | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface NotificationTables {
  notifiers: NotifiersTable;
  notificationOutbox: NotificationOutboxTable;
}

export type Notifier = Selectable<NotifiersTable>;
export type OutboxRow = Selectable<NotificationOutboxTable>;
