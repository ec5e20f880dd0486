import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, JsonWithDefault, Timestamp, UpdatedAt } from '../../db/column-types.js';

export type HealthStatus = 'unknown' | 'healthy' | 'degraded' | 'down' | 'cert_mismatch';
export type StartTls = 'smtp' | 'imap' | 'pop3';

export interface EndpointHealthChecksTable {
  id: string;
  name: string;
  /** `host:port` (`[v6]:port`). */
  endpoint: string;
  serverName: string | null;
  starttls: StartTls | null;
  /** The managed certificate the endpoint must serve (its current version). */
  certificateId: string | null;
  /** A pinned SHA-256 when no managed certificate is named. */
  expectedFingerprint: string | null;
  enabled: Generated<boolean>;
  checkIntervalSeconds: Generated<number>;
  degradedThreshold: Generated<number>;
  downThreshold: Generated<number>;
  status: Generated<HealthStatus>;
  consecutiveFailures: Generated<number>;
  observedFingerprint: string | null;
  observedSerial: string | null;
  tlsVersion: string | null;
  cipher: string | null;
  problems: JsonWithDefault<string[]>;
  lastCheckedAt: Timestamp | null;
  nextCheckAt: Generated<Date>;
  statusChangedAt: Timestamp | null;
  /** The incident key of the open alert; null when none is open. */
  incidentKey: string | null;
  acknowledged: Generated<boolean>;
  acknowledgedBy: string | null;
  acknowledgedAt: Timestamp | null;
  source: Generated<'manual' | 'deployment'>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface EndpointHealthHistoryTable {
  id: string;
  checkId: string;
  status: HealthStatus;
  observedFingerprint: string | null;
  observedSerial: string | null;
  tlsVersion: string | null;
  problems: JsonWithDefault<string[]>;
  latencyMs: number;
  checkedAt: CreatedAt;
}

export interface HealthCheckTables {
  endpointHealthChecks: EndpointHealthChecksTable;
  endpointHealthHistory: EndpointHealthHistoryTable;
}

export type EndpointHealthCheck = Selectable<EndpointHealthChecksTable>;
export type EndpointHealthHistory = Selectable<EndpointHealthHistoryTable>;
