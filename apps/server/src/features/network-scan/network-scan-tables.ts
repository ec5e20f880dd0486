import type { NetworkScanOutcomes, NetworkScanSkip } from '@certctl/connector-utils';
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
  /** The agent that runs this target's scans, or the group one of whose members does; both null: the server. */
  agentId: string | null;
  agentGroupId: string | null;
  lastScanAt: Timestamp | null;
  lastScanDurationMs: number | null;
  lastScanCertsFound: number | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export type NetworkScanStatus = 'running' | 'succeeded' | 'failed';

export type { NetworkScanOutcomes, NetworkScanSkip };

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
  /** The agent that runs this scan (null: the server) and when it first asked for it. */
  agentId: string | null;
  handedOutAt: Timestamp | null;
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
