import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { scheduledResourceRoutes } from '../../http/scheduled-resource-routes.js';
import { idParams, int32, name, nullableTimestamp, resourceId, timestamp } from '../../http/schemas/common.js';
import { fromWire } from '../../http/wire-format.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import {
  acknowledgeHealthCheck,
  createHealthCheck,
  deleteHealthCheck,
  getHealthCheck,
  type HealthRuntime,
  healthHistory,
  healthSummary,
  listHealthChecks,
  runHealthCheck,
  updateHealthCheck,
} from './health-checks.js';

const healthStatus = z.enum(['unknown', 'healthy', 'degraded', 'down', 'cert_mismatch']);
const starttls = z.enum(['smtp', 'imap', 'pop3']);
const endpoint = z
  .string()
  .max(300)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. shop.example.com:443');
const fingerprint = z
  .string()
  .regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, 'a SHA-256 fingerprint (64 hex digits, colons allowed)');

const fields = {
  name,
  endpoint,
  server_name: z.string().min(1).max(253).nullable().optional().describe('SNI to send; default none'),
  starttls: starttls.nullable().optional().describe('Upgrade with STARTTLS first (mail servers)'),
  certificate_id: resourceId
    .nullable()
    .optional()
    .describe('The managed certificate the endpoint must serve (its current version)'),
  expected_fingerprint: fingerprint.nullable().optional().describe('A pinned SHA-256 when no certificate is named'),
  enabled: z.boolean().optional(),
  check_interval_seconds: int32(10, 86_400).optional().describe('Default 300'),
  degraded_threshold: int32(1, 100).optional().describe('Consecutive failures before degraded; default 2'),
  down_threshold: int32(1, 100).optional().describe('Consecutive failures before down; default 5'),
};

const checkSchema = z.object({
  id: z.string(),
  name: z.string(),
  endpoint: z.string(),
  server_name: z.string().nullable(),
  starttls: starttls.nullable(),
  certificate_id: z.string().nullable(),
  expected_fingerprint: z.string().nullable(),
  enabled: z.boolean(),
  check_interval_seconds: z.number().int(),
  degraded_threshold: z.number().int(),
  down_threshold: z.number().int(),
  status: healthStatus,
  consecutive_failures: z.number().int(),
  observed_fingerprint: z.string().nullable(),
  observed_serial: z.string().nullable(),
  tls_version: z.string().nullable(),
  cipher: z.string().nullable(),
  problems: z.array(z.string()),
  last_checked_at: nullableTimestamp,
  next_check_at: timestamp,
  status_changed_at: nullableTimestamp,
  incident_key: z.string().nullable().describe('The open alert incident; null when none is open'),
  acknowledged: z.boolean(),
  acknowledged_by: z.string().nullable(),
  acknowledged_at: nullableTimestamp,
  source: z.enum(['manual', 'deployment']),
  created_at: timestamp,
  updated_at: timestamp,
});

const historySchema = z.object({
  id: z.string(),
  check_id: z.string(),
  status: healthStatus,
  observed_fingerprint: z.string().nullable(),
  observed_serial: z.string().nullable(),
  tls_version: z.string().nullable(),
  problems: z.array(z.string()),
  latency_ms: z.number().int(),
  checked_at: timestamp,
});

/** Endpoint health monitoring: what each endpoint serves, checked on an interval, with history and alerts. */
export function healthCheckRoutes(deps: ServiceDeps, runtime: HealthRuntime): AnyRouteSpec[] {
  const tags = ['health checks'];
  const checks = scheduledResourceRoutes({
    path: '/api/v1/health-checks',
    tags,
    entity: checkSchema,
    writeAccess: 'operator',
    list: {
      operationId: 'listHealthChecks',
      summary: 'List endpoint health checks',
      description: 'Checks',
      filters: z.object({ status: healthStatus.optional(), certificate_id: z.string().optional() }),
      handler: ({ query, page }) =>
        listHealthChecks(deps, { status: query.status, certificateId: query.certificate_id }, page),
    },
    create: {
      operationId: 'createHealthCheck',
      summary: 'Create an endpoint health check',
      description: 'Created',
      body: z.object({ id: resourceId.optional(), ...fields }).strict(),
      handler: ({ actor, body }) => createHealthCheck(deps, actor, fromWire(body)),
    },
    get: {
      operationId: 'getHealthCheck',
      summary: 'Get a health check',
      description: 'Check',
      handler: ({ id }) => getHealthCheck(deps.db, id),
    },
    update: {
      operationId: 'updateHealthCheck',
      summary: 'Update a health check (the fields given)',
      description: 'Updated',
      body: z.object({ ...fields, name: name.optional(), endpoint: endpoint.optional() }).strict(),
      handler: ({ actor, id, body }) => updateHealthCheck(deps, actor, id, fromWire(body)),
    },
    delete: {
      operationId: 'deleteHealthCheck',
      summary: 'Delete a health check and its history',
      description: 'Deleted',
      handler: ({ actor, id }) => deleteHealthCheck(deps, actor, id),
    },
    runNow: {
      action: 'check',
      operationId: 'runHealthCheck',
      summary: 'Check the endpoint now and record the result',
      description: 'Checked',
      access: 'operator',
      status: 200,
      schema: checkSchema,
      handler: ({ id }) => runHealthCheck(deps, runtime, id),
    },
    runs: {
      segment: 'history',
      operationId: 'getHealthCheckHistory',
      summary: 'Results of a health check, newest first (kept 30 days)',
      description: 'History',
      schema: historySchema,
      handler: ({ id, page }) => healthHistory(deps, id, page),
    },
  });
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/health-checks/summary',
      operationId: 'getHealthCheckSummary',
      summary: 'Health checks by status',
      tags,
      access: 'viewer',
      responses: {
        200: {
          description: 'Counts',
          schema: z.object({
            unknown: z.number().int(),
            healthy: z.number().int(),
            degraded: z.number().int(),
            down: z.number().int(),
            cert_mismatch: z.number().int(),
            total: z.number().int(),
          }),
        },
      },
      handler: () => healthSummary(deps),
    }),
    checks.list,
    checks.create,
    checks.get,
    checks.update,
    checks.delete,
    checks.runs,
    defineRoute({
      method: 'POST',
      path: '/api/v1/health-checks/{id}/acknowledge',
      operationId: 'acknowledgeHealthCheck',
      summary: 'Acknowledge the current problem (cleared by the next status change)',
      tags,
      access: 'operator',
      params: idParams,
      responses: { 200: { description: 'Acknowledged', schema: checkSchema } },
      handler: ({ actor, params }) => acknowledgeHealthCheck(deps, actor, params.id),
    }),
    checks.runNow,
  ];
}
