import { z } from 'zod';
import { name, nullableTimestamp, pemText, resourceId, timestamp } from './primitives.js';

/**
 * The agent protocol on the wire: the server's routes validate and document with these schemas,
 * and the agent checks what it reads and takes its types from them, so neither side hand-copies
 * the other's shapes.
 */

export const jobStatus = z
  .enum([
    'pending',
    'awaiting_csr',
    'awaiting_approval',
    'running',
    'waiting_on_ca',
    'succeeded',
    'failed',
    'cancelled',
    'dead',
  ])
  .meta({ id: 'JobStatus' });

export const agentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    hostname: z.string(),
    status: z.enum(['registered', 'online', 'offline', 'retired']),
    last_heartbeat_at: nullableTimestamp,
    os: z.string(),
    architecture: z.string(),
    ip_address: z.string(),
    version: z.string(),
    retired_at: nullableTimestamp,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Agent' });

export const jobSchema = z
  .object({
    id: z.string(),
    type: z.enum(['issuance', 'renewal', 'deployment']),
    certificate_id: z.string(),
    target_id: z.string().nullable(),
    agent_id: z.string().nullable(),
    status: jobStatus,
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    next_run_at: timestamp,
    lease_expires_at: nullableTimestamp,
    last_error: z.string().nullable(),
    ca_order_id: z.string().nullable(),
    ca_order_deadline: nullableTimestamp,
    result_version_id: z.string().nullable(),
    trigger: z.string(),
    requested_by: z.string(),
    has_csr: z.boolean(),
    verification: z
      .object({
        endpoint: z.string(),
        expected_fingerprint: z.string(),
        actual_fingerprint: z.string().nullable(),
        verified: z.boolean(),
        detail: z.string(),
        verified_at: z.string(),
      })
      .nullable()
      .optional(),
    created_at: timestamp,
    updated_at: timestamp,
    started_at: nullableTimestamp,
    completed_at: nullableTimestamp,
  })
  .meta({ id: 'Job' });

const ref = resourceId;

/** A target connector installed on the agent and its config JSON Schema (core's configJsonSchema, secret fields marked). */
export const targetTypeReport = z
  .object({
    type: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      .max(64),
    config_schema: z.record(z.string(), z.unknown()),
  })
  .strict();

/** What an agent says about its host on register and heartbeat. */
export const agentMetadata = z.object({
  hostname: z.string().max(253).optional(),
  os: z.string().max(64).optional(),
  architecture: z.string().max(64).optional(),
  ip_address: z.string().max(64).optional(),
  version: z.string().max(64).optional(),
  target_types: z.array(targetTypeReport).max(100).optional(),
});
export const agentRegistrationBody = agentMetadata.extend({ name }).strict();
export const agentHeartbeatBody = agentMetadata.strict();

export const rejectedTargetTypes = z
  .array(z.object({ type: z.string(), reason: z.string() }))
  .optional()
  .describe('Reported target types whose schema the server cannot use (their targets are stored unchecked)');
export const agentRegistered = agentSchema.extend({ api_key: z.string(), rejected_target_types: rejectedTargetTypes });
export const agentHeartbeatAnswer = agentSchema.extend({ rejected_target_types: rejectedTargetTypes });

export const agentWorkItem = z.object({
  job_id: z.string(),
  type: z.enum(['csr', 'deployment']),
  certificate_id: z.string(),
  common_name: z.string(),
  sans: z.array(z.string()),
  key_algorithm: z.string().optional(),
  target_id: z.string().optional(),
  target_type: z.string().optional(),
  target_config: z.record(z.string(), z.unknown()).optional(),
});
export const agentWorkAnswer = z.object({ jobs: z.array(agentWorkItem), count: z.number() });

export const agentCsrBody = z.object({ certificate_id: ref, csr_pem: pemText }).strict();
export const agentJob = jobSchema;

export const agentCertificateAnswer = z.object({
  certificate_pem: z.string(),
  chain_pem: z.string(),
  serial: z.string(),
});

/** The agent's endpoint check after a deployment: TLS handshake, served fingerprint against the new one. */
export const deploymentVerification = z
  .object({
    endpoint: z.string().max(300),
    expected_fingerprint: z.string().max(128),
    actual_fingerprint: z.string().max(128).nullable(),
    verified: z.boolean(),
    detail: z.string().max(2000),
    verified_at: z.string().max(64),
  })
  .strict();
export const agentJobStatusBody = z
  .object({
    status: z.enum(['running', 'succeeded', 'failed']),
    error: z.string().max(4000).optional(),
    verification: deploymentVerification.optional(),
    rollback: z
      .enum(['restored', 'failed'])
      .optional()
      .describe('A failed deploy: the previous deployment was restored, or restoring it failed too'),
  })
  .strict();

export const discoveryReportBody = z
  .object({
    directories: z.array(z.string().max(4096)).max(256).default([]),
    certificates: z
      .array(
        z
          .object({
            path: z.string().min(1).max(4096),
            certificate_pem: pemText,
            fingerprint_sha256: z.string().max(128).optional(),
          })
          .strict(),
      )
      .max(10_000),
    errors: z
      .array(z.object({ path: z.string().max(4096), error: z.string().max(1000) }).strict())
      .max(10_000)
      .default([]),
    // An integer column: bounded so it always fits (PostgreSQL `integer`).
    scan_duration_ms: z.number().int().min(0).max(2_147_483_647).default(0),
  })
  .strict();
export const discoveryReportAnswer = z.object({
  scan_id: z.string(),
  reported: z.number().int(),
  created: z.number().int(),
  rejected: z.array(z.object({ path: z.string(), error: z.string() })),
});
