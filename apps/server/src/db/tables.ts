import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AcmeAuthMode, AcmeTables } from '../features/acme/acme-tables.js';
import type { AgentGroupTables } from '../features/agent-groups/agent-group-tables.js';
import type { AgentHttp01Tables } from '../features/agent-http01/agent-http01-tables.js';
import type { AgentRetirementTables } from '../features/agent-retirement/agent-retirement-tables.js';
import type { BulkOperationTables } from '../features/bulk-operations/bulk-operation-tables.js';
import type { CloudDiscoveryTables } from '../features/cloud-discovery/cloud-discovery-tables.js';
import type { DiscoveryTables } from '../features/discovery/discovery-tables.js';
import type { HealthCheckTables } from '../features/health-checks/health-check-tables.js';
import type { IdempotencyTables } from '../features/issuance/idempotency-tables.js';
import type { NetworkScanTables } from '../features/network-scan/network-scan-tables.js';
import type { AlertSeverity, NotificationTables } from '../features/notifications/notification-tables.js';
import type { PolicyRuleTables } from '../features/policy-rules/policy-rule-tables.js';
import type { ScepTables } from '../features/scep/scep-tables.js';
import type { CreatedAt, Json, JsonWithDefault, Timestamp, UpdatedAt } from './column-types.js';

export type { DiscoveredCertificate, DiscoveryScan, DiscoveryStatus } from '../features/discovery/discovery-tables.js';
export type {
  AlertSeverity,
  Notifier,
  OutboxRow,
  OutboxStatus,
} from '../features/notifications/notification-tables.js';

export type CertificateStatus =
  | 'pending'
  | 'active'
  | 'expiring'
  | 'expired'
  | 'renewal_in_progress'
  | 'failed'
  | 'revoked'
  | 'archived';
export type JobStatus =
  | 'pending'
  | 'awaiting_csr'
  | 'awaiting_approval'
  | 'running'
  | 'waiting_on_ca'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'dead';
export type JobType = 'issuance' | 'renewal' | 'deployment';
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';
export type AgentStatus = 'registered' | 'online' | 'offline' | 'retired';
export type ActorType = 'user' | 'agent' | 'system';
export type RoleName = 'admin' | 'operator' | 'viewer' | 'agent';

export interface KeyAlgorithmRule {
  algorithm: 'RSA' | 'ECDSA' | 'Ed25519';
  min_size?: number;
}

export interface ServerStateTable {
  key: string;
  value: Json<unknown>;
  updatedAt: UpdatedAt;
}

export interface TeamsTable {
  id: string;
  name: string;
  description: Generated<string>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface OwnersTable {
  id: string;
  name: string;
  email: string;
  teamId: string | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface IssuersTable {
  id: string;
  name: string;
  type: string;
  /** The connector config with every secret field encrypted (see connectors/config-cipher). */
  config: Json<Record<string, unknown>>;
  enabled: Generated<boolean>;
  source: Generated<'database' | 'env' | 'builtin'>;
  testStatus: Generated<'untested' | 'ok' | 'failed'>;
  testDetail: string | null;
  lastTestedAt: Timestamp | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface ConnectorSecretsTable {
  instanceId: string;
  name: string;
  valueEncrypted: string;
  updatedAt: UpdatedAt;
}

export interface CertificateProfilesTable {
  id: string;
  name: string;
  description: Generated<string>;
  allowedKeyAlgorithms: Json<KeyAlgorithmRule[]>;
  maxTtlSeconds: Generated<number>;
  allowedEkus: Json<string[]>;
  requiredSanPatterns: JsonWithDefault<string[]>;
  mustStaple: Generated<boolean>;
  requiresApproval: Generated<boolean>;
  allowShortLived: Generated<boolean>;
  enabled: Generated<boolean>;
  /** How the ACME server authorizes identifiers for this profile (migration 0004). */
  acmeAuthMode: Generated<AcmeAuthMode>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface RenewalPoliciesTable {
  id: string;
  name: string;
  renewalWindowDays: Generated<number>;
  autoRenew: Generated<boolean>;
  maxRetries: Generated<number>;
  retryIntervalSeconds: Generated<number>;
  alertThresholdsDays: JsonWithDefault<number[]>;
  alertChannels: JsonWithDefault<Partial<Record<AlertSeverity, string[]>>>;
  alertSeverityMap: JsonWithDefault<Record<string, AlertSeverity>>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface AgentsTable {
  id: string;
  name: string;
  hostname: Generated<string>;
  status: Generated<AgentStatus>;
  lastHeartbeatAt: Timestamp | null;
  os: Generated<string>;
  architecture: Generated<string>;
  ipAddress: Generated<string>;
  version: Generated<string>;
  retiredAt: Timestamp | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  role: RoleName;
  agentId: string | null;
  createdBy: string;
  createdAt: CreatedAt;
  lastUsedAt: Timestamp | null;
  revokedAt: Timestamp | null;
}

export interface TargetsTable {
  id: string;
  name: string;
  type: string;
  agentId: string | null;
  config: JsonWithDefault<Record<string, unknown>>;
  enabled: Generated<boolean>;
  /** The secret paths `config` was encrypted with: decryption never depends on a schema that may have changed since. */
  configSecretPaths: JsonWithDefault<string[][]>;
  configSchemaSource: Generated<TargetSchemaSource>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

/** Which schema checked a target's config: the server's connector, the one its agent reported, or none. */
export type TargetSchemaSource = 'server' | 'agent' | 'none';

/** A target type an agent has installed, with its config JSON Schema (as the agent reported it). */
export interface AgentTargetTypesTable {
  agentId: string;
  type: string;
  configSchema: Json<Record<string, unknown>>;
  reportedAt: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CertificatesTable {
  id: string;
  name: string;
  commonName: string;
  sans: JsonWithDefault<string[]>;
  environment: Generated<string>;
  tags: JsonWithDefault<Record<string, string>>;
  ownerId: string;
  teamId: string;
  issuerId: string;
  profileId: string | null;
  renewalPolicyId: string;
  agentId: string | null;
  status: Generated<CertificateStatus>;
  expiresAt: Timestamp | null;
  currentVersionId: string | null;
  lastRenewalAt: Timestamp | null;
  revokedAt: Timestamp | null;
  revocationReason: string | null;
  archivedAt: Timestamp | null;
  /** `est`, `scep` ... for protocol enrollments; null for the API. */
  enrollmentSource: ColumnType<string | null, string | null | undefined, string | null>;
  enrollmentProfile: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface CertificateVersionsTable {
  id: string;
  certificateId: string;
  version: number;
  issuerId: string;
  serial: string;
  notBefore: Timestamp;
  notAfter: Timestamp;
  fingerprintSha256: string;
  certificatePem: string;
  chainPem: Generated<string>;
  csrPem: string | null;
  keyAlgorithm: Generated<string>;
  keySize: number | null;
  jobId: string | null;
  caOrderId: string | null;
  createdAt: CreatedAt;
}

export interface CertificateTargetsTable {
  certificateId: string;
  targetId: string;
}

export interface JobsTable {
  id: string;
  type: JobType;
  certificateId: string;
  targetId: string | null;
  agentId: string | null;
  status: JobStatus;
  attempts: Generated<number>;
  maxAttempts: Generated<number>;
  nextRunAt: ColumnType<Date, Date | string | undefined, Date | string>;
  leaseOwner: string | null;
  leaseExpiresAt: Timestamp | null;
  lastError: string | null;
  csrPem: string | null;
  caOrderId: string | null;
  caOrderDeadline: Timestamp | null;
  /** The CA's last word on a pending order (e.g. `pending validation`); see migration ca-order-polling. */
  caOrderState: string | null;
  /** Checks of the pending order that saw `caOrderState` unchanged: the follow-up backoff grows with it. */
  caOrderPolls: Generated<number>;
  resultVersionId: string | null;
  trigger: Generated<string>;
  requestedBy: string;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
  startedAt: Timestamp | null;
  completedAt: Timestamp | null;
  /** The agent's endpoint check after a deployment (see migration 0002-agent-discovery). */
  verification: Json<DeploymentVerification> | null;
  /** What the target reported about a deployment, as the agent sent it (see migration deploy-metadata). */
  deployMetadata: Json<Record<string, string>> | null;
}

export interface DeploymentVerification {
  endpoint: string;
  expected_fingerprint: string;
  actual_fingerprint: string | null;
  verified: boolean;
  detail: string;
  verified_at: string;
}

export interface ApprovalsTable {
  id: string;
  certificateId: string;
  jobId: string;
  profileId: string | null;
  requestedBy: string;
  /** Stable principal id of the requester (null on rows from before principals were recorded). */
  requestedByPrincipal: string | null;
  state: Generated<ApprovalState>;
  decidedBy: string | null;
  decidedByPrincipal: string | null;
  decidedAt: Timestamp | null;
  note: Generated<string>;
  createdAt: CreatedAt;
}

export interface RevocationsTable {
  id: string;
  certificateId: string;
  versionId: string;
  issuerId: string;
  serial: string;
  reason: string;
  revokedAt: ColumnType<Date, Date | string | undefined, never>;
  revokedBy: string;
  issuerNotified: Generated<boolean>;
  issuerError: string | null;
}

export interface CrlCacheTable {
  issuerId: string;
  /** bigint: pg returns it as a string, PGlite as a number. */
  crlNumber: ColumnType<string | number | bigint, string | number | undefined, string | number>;
  crlDer: Uint8Array | null;
  thisUpdate: Timestamp | null;
  nextUpdate: Timestamp | null;
  revokedCount: Generated<number>;
  stale: Generated<boolean>;
  generatedAt: Timestamp | null;
}

export interface AuditEventsTable {
  seq: Generated<string | number>;
  id: string;
  actor: string;
  actorType: ActorType;
  action: string;
  resourceType: string;
  resourceId: Generated<string>;
  details: JsonWithDefault<Record<string, unknown>>;
  requestId: string | null;
  createdAt: CreatedAt;
}

/** Every table: the core schema here, and each feature's own tables. */
export interface Database
  extends AcmeTables,
    AgentGroupTables,
    AgentHttp01Tables,
    AgentRetirementTables,
    BulkOperationTables,
    CloudDiscoveryTables,
    DiscoveryTables,
    HealthCheckTables,
    IdempotencyTables,
    NetworkScanTables,
    NotificationTables,
    PolicyRuleTables,
    ScepTables {
  serverState: ServerStateTable;
  teams: TeamsTable;
  owners: OwnersTable;
  issuers: IssuersTable;
  connectorSecrets: ConnectorSecretsTable;
  certificateProfiles: CertificateProfilesTable;
  renewalPolicies: RenewalPoliciesTable;
  agents: AgentsTable;
  apiKeys: ApiKeysTable;
  targets: TargetsTable;
  agentTargetTypes: AgentTargetTypesTable;
  certificates: CertificatesTable;
  certificateVersions: CertificateVersionsTable;
  certificateTargets: CertificateTargetsTable;
  jobs: JobsTable;
  approvals: ApprovalsTable;
  revocations: RevocationsTable;
  crlCache: CrlCacheTable;
  auditEvents: AuditEventsTable;
}

export type Team = Selectable<TeamsTable>;
export type Owner = Selectable<OwnersTable>;
export type Issuer = Selectable<IssuersTable>;
export type CertificateProfile = Selectable<CertificateProfilesTable>;
export type RenewalPolicy = Selectable<RenewalPoliciesTable>;
export type Agent = Selectable<AgentsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type Target = Selectable<TargetsTable>;
export type AgentTargetType = Selectable<AgentTargetTypesTable>;
export type Certificate = Selectable<CertificatesTable>;
export type NewCertificate = Insertable<CertificatesTable>;
export type CertificateUpdate = Updateable<CertificatesTable>;
export type CertificateVersion = Selectable<CertificateVersionsTable>;
export type Job = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type Approval = Selectable<ApprovalsTable>;
export type Revocation = Selectable<RevocationsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
