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

/**
 * What a target reports about a deployment (its `DeployResult.metadata`): identifiers the target
 * learned, such as an ACM `certificate_arn` or a Key Vault `key_vault_certificate_id`. Never secrets.
 */
export const deployMetadata = z.record(z.string().min(1).max(64), z.string().max(2048));

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
    ca_order_state: z
      .string()
      .nullable()
      .optional()
      .describe("the CA's last word on the pending order, e.g. `pending approval`"),
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
    deploy_metadata: deployMetadata
      .nullable()
      .optional()
      .describe('what the target reported about the deployment (an ACM certificate ARN, a Key Vault certificate id)'),
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

/** An HTTP-01 token the agent writes to `<webroot>/.well-known/acme-challenge/<token>`. */
export const http01Token = z.object({
  identifier: z.string(),
  token: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/),
  key_authorization: z.string().max(1024),
});

export const agentWorkItem = z.object({
  job_id: z.string(),
  type: z.enum(['csr', 'deployment', 'http01']),
  certificate_id: z.string(),
  common_name: z.string(),
  sans: z.array(z.string()),
  key_algorithm: z.string().optional(),
  target_id: z.string().optional(),
  target_type: z.string().optional(),
  target_config: z.record(z.string(), z.unknown()).optional(),
  /** http01: the challenge to serve (report it at `/agents/{id}/http01/{challenge_id}`); listed until the order is over, then the files go. */
  challenge_id: z.string().optional(),
  http01_tokens: z.array(http01Token).optional(),
  expires_at: z.string().optional(),
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
    // Optional: agents from before it report without, and the server accepts both.
    metadata: deployMetadata
      .refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata entries')
      .optional()
      .describe('what the target reported about the deployment (an ACM certificate ARN, a Key Vault certificate id)'),
  })
  .strict();

/** The agent wrote an order's HTTP-01 files (`served`), or could not (`failed`, with why). */
export const agentHttp01ReportBody = z
  .object({
    status: z.enum(['served', 'failed']),
    error: z.string().max(4000).optional(),
  })
  .strict();
export const agentHttp01Answer = z.object({
  challenge_id: z.string(),
  job_id: z.string(),
  status: z.enum(['pending', 'served', 'failed', 'closed']),
});

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

/** A network scan the server hands to the agent: what to probe and the admin's guard rails, which the agent applies as the server would. */
export const networkScanWorkItem = z.object({
  scan_id: z.string(),
  target_id: z.string(),
  cidrs: z.array(z.string()),
  hosts: z.array(z.string()),
  ports: z.array(z.number().int()),
  timeout_ms: z.number().int(),
  limits: z.object({
    max_addresses_per_cidr: z.number().int(),
    allow_loopback: z.boolean(),
    concurrency: z.number().int(),
    rate_per_second: z.number().int(),
  }),
});
export const agentNetworkScansAnswer = z.object({ scans: z.array(networkScanWorkItem), count: z.number().int() });

const scanCount = z.number().int().min(0).max(2_147_483_647);
/** What the agent found: certificates by endpoint (`host:port`), outcome counts, what it skipped and why, a one-line summary. */
export const networkScanReportBody = z
  .object({
    status: z.enum(['succeeded', 'failed']),
    endpoints_probed: scanCount,
    outcomes: z.object({ found: scanCount, refused: scanCount, timeout: scanCount, failed: scanCount }).strict(),
    findings: z
      .array(z.object({ endpoint: z.string().min(1).max(300), certificate_pem: pemText }).strict())
      .max(10_000),
    skipped: z
      .array(
        z
          .object({ reason: z.string().max(500), count: scanCount, examples: z.array(z.string().max(300)).max(5) })
          .strict(),
      )
      .max(100)
      .default([]),
    errors: z
      .array(z.object({ endpoint: z.string().max(300), error: z.string().max(1000) }).strict())
      .max(1000)
      .default([]),
    summary: z.string().max(4000),
    duration_ms: scanCount,
  })
  .strict();
