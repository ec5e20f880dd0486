import type { ConnectorNetwork, ConnectorRegistry } from '@certctl/core';
import type { Kysely } from 'kysely';
import type { LiveTrustBundles } from '../config/trust-bundle-file.js';
import type { ConfigCipher } from '../connectors/config-cipher.js';
import type { IssuerRuntimes } from '../connectors/issuer-runtimes.js';
import type { NotifierRuntimes } from '../connectors/notifier-runtimes.js';
import type { NotificationConfig } from '../features/notifications/notification-config.js';
import type { DialectName } from '../db/open-database.js';
import type { Database } from '../db/tables.js';
import type { ServerLogger } from '../observability/logger.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { FaultHook } from './fault-points.js';

export interface ServiceSettings {
  approvalBypass: boolean;
  jobMaxAttempts: number;
  jobLeaseMs: number;
  caOrderTimeoutMs: number;
  crlValidityMs: number;
  /** Lifetime (thisUpdate..nextUpdate) of OCSP responses; cached ones are re-signed after half of it. */
  ocspValidityMs: number;
  /** Requests per minute per client address on the public CRL and OCSP routes; 0 means unlimited. */
  pkiRateLimitPerIpMin: number;
  agentBootstrapToken?: string;
  agentOfflineAfterMs: number;
  awaitingCsrTimeoutMs: number;
  awaitingApprovalTimeoutMs: number;
  notifications: NotificationConfig;
}

/** What the domain functions run with; built once by the server. */
export interface ServiceDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  registry: ConnectorRegistry;
  /** Where the server's connectors may connect (`ctx.network`): also what a saved config is checked against. */
  connectorNetwork: ConnectorNetwork;
  issuers: IssuerRuntimes;
  notifiers: NotifierRuntimes;
  cipher: ConfigCipher;
  metrics: ServerMetrics;
  logger: ServerLogger;
  settings: ServiceSettings;
  /** This process's name in job leases. */
  replicaId: string;
  now(): Date;
  /** The EST/SCEP trust bundles in use, for the admin reload. */
  trustBundles: LiveTrustBundles;
  /** Wakes the job runner after work was queued (no-op when the scheduler is off). */
  notifyJobs(): void;
  /** Fault-injection tests only: called at each named crash point (see fault-points.ts). */
  faultHook?: FaultHook;
}
