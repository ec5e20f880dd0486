import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, JsonWithDefault, Timestamp } from '../../db/column-types.js';
import type { IssuersTable } from '../../db/tables.js';

/**
 * A configured discovery connector (AWS Secrets Manager, Azure Key Vault, GCP Secret Manager, ...):
 * the columns every connector instance has (config with secrets encrypted, as issuers and notifiers),
 * plus its schedule and the outcome of its last scan.
 */
export interface DiscoverySourcesTable extends IssuersTable {
  scanIntervalMinutes: Generated<number>;
  lastScanAt: Timestamp | null;
  lastScanStatus: 'succeeded' | 'failed' | null;
  lastScanFound: number | null;
  lastScanCreated: number | null;
  lastScanError: string | null;
}

/** One scan of a source: when, how it ended, what it found and what was new. */
export interface DiscoverySourceRunsTable {
  id: string;
  sourceId: string;
  trigger: 'manual' | 'schedule';
  status: Generated<'running' | 'succeeded' | 'failed'>;
  startedAt: CreatedAt;
  finishedAt: Timestamp | null;
  durationMs: number | null;
  found: Generated<number>;
  newCertificates: Generated<number>;
  /** Entries that could not be read (never stored), by location. */
  errors: JsonWithDefault<{ path: string; error: string }[]>;
  /** The connector's error when the scan failed. */
  error: string | null;
}

export interface CloudDiscoveryTables {
  discoverySources: DiscoverySourcesTable;
  discoverySourceRuns: DiscoverySourceRunsTable;
}

export type DiscoverySourceRow = Selectable<DiscoverySourcesTable>;
export type DiscoverySourceRun = Selectable<DiscoverySourceRunsTable>;
