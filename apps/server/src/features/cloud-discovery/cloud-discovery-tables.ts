import type { Generated, Selectable } from 'kysely';
import type { Timestamp } from '../../db/column-types.js';
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

export interface CloudDiscoveryTables {
  discoverySources: DiscoverySourcesTable;
}

export type DiscoverySourceRow = Selectable<DiscoverySourcesTable>;
