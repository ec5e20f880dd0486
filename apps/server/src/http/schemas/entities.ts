import { z } from 'zod';
import { jobStatus } from '@certctl/wire';
import { nullableTimestamp, timestamp } from './common.js';
import { connectorInstanceSchema } from './connector-instance.js';

const certificateStatus = z
  .enum(['pending', 'active', 'expiring', 'expired', 'renewal_in_progress', 'failed', 'revoked', 'archived'])
  .meta({ id: 'CertificateStatus' });

export const teamSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Team' });
export const ownerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    team_id: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Owner' });

export const issuerSchema = connectorInstanceSchema({
  id: 'Issuer',
  typeDescription: 'issuer connector id, e.g. local, acme, vault',
});

export const keyAlgorithmRuleSchema = z.object({
  algorithm: z.enum(['RSA', 'ECDSA', 'Ed25519']),
  min_size: z.number().int().positive().max(16_384).optional(),
});

export const profileSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    allowed_key_algorithms: z.array(keyAlgorithmRuleSchema),
    max_ttl_seconds: z.number().int(),
    allowed_ekus: z.array(z.string()),
    required_san_patterns: z.array(z.string()),
    must_staple: z.boolean(),
    requires_approval: z.boolean(),
    allow_short_lived: z.boolean(),
    enabled: z.boolean(),
    acme_auth_mode: z.enum(['trust_authenticated', 'challenge']),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Profile' });

export const renewalPolicySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    renewal_window_days: z.number().int(),
    auto_renew: z.boolean(),
    max_retries: z.number().int(),
    retry_interval_seconds: z.number().int(),
    alert_thresholds_days: z.array(z.number().int()),
    alert_channels: z
      .record(z.string(), z.array(z.string()))
      .describe('severity → channels; empty = every tier to Email'),
    alert_severity_map: z
      .record(z.string(), z.string())
      .describe('threshold days → severity; unnamed thresholds use 30 informational, 14/7 warning, 0 critical'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'RenewalPolicy' });

export const targetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    agent_id: z.string().nullable(),
    config: z
      .record(z.string(), z.unknown())
      .describe(
        'Secret fields (per the schema that checked it) show as "[redacted]"; send "[redacted]" back to keep a stored secret',
      ),
    config_schema_source: z
      .enum(['server', 'agent', 'none'])
      .describe(
        "Which schema checked the config and marked its secrets: the server's connector, the one the target's agent reported, or none (stored as given)",
      ),
    enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Target' });

export const caOrderSchema = z
  .object({
    job_id: z.string().describe('the issuance or renewal job following the order (GET /api/v1/jobs/{id})'),
    order_id: z.string().describe("the CA's order, tracking or request id"),
    state: z
      .string()
      .nullable()
      .describe("the CA's last word on the order, e.g. `pending approval` (null: the CA gave none)"),
    job_status: jobStatus,
    next_check_at: timestamp.describe('when the server asks the CA again'),
    deadline: nullableTimestamp.describe("when the order is given up on (the issuer's poll_max_wait_seconds)"),
    checks: z.number().int().describe('checks that have seen this state; the wait between checks grows with it'),
  })
  .meta({ id: 'CaOrder' });

export const certificateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    common_name: z.string(),
    sans: z.array(z.string()),
    environment: z.string(),
    tags: z.record(z.string(), z.string()),
    owner_id: z.string(),
    team_id: z.string(),
    issuer_id: z.string(),
    profile_id: z.string().nullable(),
    renewal_policy_id: z.string(),
    agent_id: z.string().nullable(),
    status: certificateStatus,
    expires_at: nullableTimestamp,
    current_version_id: z.string().nullable(),
    last_renewal_at: nullableTimestamp,
    revoked_at: nullableTimestamp,
    revocation_reason: z.string().nullable(),
    archived_at: nullableTimestamp,
    enrollment_source: z.string().nullable().optional(),
    enrollment_profile: z.string().nullable().optional(),
    ca_order: caOrderSchema
      .nullable()
      .optional()
      .describe('the order open at the CA while an issuance or renewal waits on it (null: none)'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Certificate' });

export const versionSchema = z
  .object({
    id: z.string(),
    certificate_id: z.string(),
    version: z.number().int(),
    issuer_id: z.string(),
    serial: z.string().describe('lowercase hex'),
    not_before: timestamp,
    not_after: timestamp,
    fingerprint_sha256: z.string(),
    certificate_pem: z.string(),
    chain_pem: z.string(),
    csr_pem: z.string().nullable(),
    key_algorithm: z.string(),
    key_size: z.number().int().nullable(),
    job_id: z.string().nullable(),
    ca_order_id: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'CertificateVersion' });

export const approvalSchema = z
  .object({
    id: z.string(),
    certificate_id: z.string(),
    job_id: z.string(),
    profile_id: z.string().nullable(),
    requested_by: z.string(),
    /** Stable id of the requesting key (`env-key:<name>`, `api-key:<id>`, `system:<name>`): what the two-person rule compares. */
    requested_by_principal: z.string().nullable(),
    state: z.enum(['pending', 'approved', 'rejected', 'expired']),
    decided_by: z.string().nullable(),
    decided_by_principal: z.string().nullable(),
    decided_at: nullableTimestamp,
    note: z.string(),
    created_at: timestamp,
  })
  .meta({ id: 'Approval' });

export const revocationSchema = z
  .object({
    id: z.string(),
    certificate_id: z.string(),
    version_id: z.string(),
    issuer_id: z.string(),
    serial: z.string(),
    reason: z.string(),
    revoked_at: timestamp,
    revoked_by: z.string(),
    issuer_notified: z.boolean(),
    issuer_error: z.string().nullable(),
  })
  .meta({ id: 'Revocation' });

export const auditEventSchema = z
  .object({
    id: z.string(),
    seq: z.union([z.string(), z.number()]),
    actor: z.string(),
    actor_type: z.enum(['user', 'agent', 'system']),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string(),
    details: z.record(z.string(), z.unknown()),
    request_id: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'AuditEvent' });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    key_prefix: z.string(),
    role: z.enum(['admin', 'operator', 'viewer', 'agent']),
    agent_id: z.string().nullable(),
    created_by: z.string(),
    created_at: timestamp,
    last_used_at: nullableTimestamp,
    revoked_at: nullableTimestamp,
  })
  .meta({ id: 'ApiKey' });

// The agent protocol reads agents and jobs: their schemas live in @certctl/wire.
export { agentSchema, jobSchema, jobStatus } from '@certctl/wire';
export { certificateStatus };
