import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, JsonWithDefault, Timestamp, UpdatedAt } from '../../db/column-types.js';

export interface NetworkScanTargetsTable {
  id: string;
  name: string;
  cidrs: JsonWithDefault<string[]>;
  hosts: JsonWithDefault<string[]>;
  ports: JsonWithDefault<number[]>;
  enabled: Generated<boolean>;
  scanIntervalHours: Generated<number>;
  timeoutMs: Generated<number>;
  lastScanAt: Timestamp | null;
  lastScanDurationMs: number | null;
  lastScanCertsFound: number | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export type NetworkScanStatus = 'running' | 'succeeded' | 'failed';

/** How each probed endpoint ended. */
export interface NetworkScanOutcomes {
  found: number;
  refused: number;
  timeout: number;
  failed: number;
}

/** Addresses not probed, grouped by why (a few examples each). */
export interface NetworkScanSkip {
  reason: string;
  count: number;
  examples: string[];
}

export interface NetworkScansTable {
  id: string;
  targetId: string;
  trigger: 'manual' | 'schedule';
  status: Generated<NetworkScanStatus>;
  startedAt: CreatedAt;
  finishedAt: Timestamp | null;
  durationMs: number | null;
  endpointsProbed: Generated<number>;
  certificatesFound: Generated<number>;
  newCertificates: Generated<number>;
  outcomes: JsonWithDefault<NetworkScanOutcomes>;
  skipped: JsonWithDefault<NetworkScanSkip[]>;
  errors: JsonWithDefault<{ endpoint: string; error: string }[]>;
  summary: Generated<string>;
}

export interface ScepProbeResultsTable {
  id: string;
  targetUrl: string;
  reachable: boolean;
  advertisedCaps: JsonWithDefault<string[]>;
  supportsPost: boolean;
  supportsSha256: boolean;
  supportsSha512: boolean;
  supportsAes: boolean;
  supportsScepStandard: boolean;
  supportsRenewal: boolean;
  caSubject: string | null;
  caIssuer: string | null;
  caKeyAlgorithm: string | null;
  caNotAfter: Timestamp | null;
  caDaysToExpiry: number | null;
  chainLength: number;
  durationMs: number;
  error: string | null;
  probedBy: string;
  createdAt: CreatedAt;
}

export interface NetworkScanTables {
  networkScanTargets: NetworkScanTargetsTable;
  networkScans: NetworkScansTable;
  scepProbeResults: ScepProbeResultsTable;
}

export type ScepProbeResult = Selectable<ScepProbeResultsTable>;

export type NetworkScanTarget = Selectable<NetworkScanTargetsTable>;
export type NetworkScan = Selectable<NetworkScansTable>;
