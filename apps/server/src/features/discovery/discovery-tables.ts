import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, JsonWithDefault, Timestamp, UpdatedAt } from '../../db/column-types.js';

export type DiscoveryStatus = 'unmanaged' | 'managed' | 'dismissed';
/** What found a certificate: an agent's filesystem scan, a network TLS scan, a cloud secret store. */
export type DiscoverySourceKind = 'filesystem' | 'network' | 'cloud';

export interface DiscoveryScansTable {
  id: string;
  agentId: string;
  directories: JsonWithDefault<string[]>;
  certificatesFound: Generated<number>;
  errors: JsonWithDefault<{ path: string; error: string }[]>;
  scanDurationMs: Generated<number>;
  createdAt: CreatedAt;
}

export interface DiscoveredCertificatesTable {
  id: string;
  /** The agent that found it; null when the server itself did (network scan, cloud source). */
  agentId: string | null;
  source: Generated<DiscoverySourceKind>;
  sourcePath: string;
  fingerprintSha256: string;
  commonName: string | null;
  sans: JsonWithDefault<string[]>;
  serial: string;
  subject: Generated<string>;
  issuer: Generated<string>;
  notBefore: Timestamp;
  notAfter: Timestamp;
  keyAlgorithm: Generated<string>;
  certificatePem: string;
  status: Generated<DiscoveryStatus>;
  managedCertificateId: string | null;
  dismissReason: string | null;
  lastScanId: string | null;
  firstSeenAt: CreatedAt;
  lastSeenAt: UpdatedAt;
  updatedAt: UpdatedAt;
}

export interface DiscoveryTables {
  discoveryScans: DiscoveryScansTable;
  discoveredCertificates: DiscoveredCertificatesTable;
}

export type DiscoveryScan = Selectable<DiscoveryScansTable>;
export type DiscoveredCertificate = Selectable<DiscoveredCertificatesTable>;
