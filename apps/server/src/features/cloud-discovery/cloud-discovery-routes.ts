import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { scheduledResourceRoutes } from '../../http/scheduled-resource-routes.js';
import { connectorConfig, int32, name, nullableTimestamp, timestamp } from '../../http/schemas/common.js';
import { fromWire } from '../../http/wire-format.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import {
  type CloudDiscoveryRuntime,
  createDiscoverySource,
  deleteDiscoverySource,
  getDiscoverySource,
  listDiscoverySourceRuns,
  listDiscoverySources,
  listDiscoverySourceTypes,
  scanDiscoverySource,
  updateDiscoverySource,
} from './cloud-discovery.js';

const sourceBody = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes')
      .optional(),
    name,
    type: z.string().min(1).max(64).describe('discovery connector id: awssm, azurekv, gcpsm, ...'),
    config: connectorConfig.default({}),
    enabled: z.boolean().optional(),
    scan_interval_minutes: int32(5, 10_080).optional().describe('How often the scheduler scans it; default 360'),
  })
  .strict();

const sourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  config: z.record(z.string(), z.unknown()).describe('connector config; secret fields read "[redacted]"'),
  enabled: z.boolean(),
  source: z.enum(['database', 'env', 'builtin']),
  test_status: z.enum(['untested', 'ok', 'failed']),
  test_detail: z.string().nullable(),
  last_tested_at: nullableTimestamp,
  connector_status: z.enum(['available', 'unavailable', 'not_installed']),
  capabilities: z.record(z.string(), z.boolean()).optional(),
  scan_interval_minutes: z.number().int(),
  last_scan_at: nullableTimestamp,
  last_scan_status: z.enum(['succeeded', 'failed']).nullable(),
  last_scan_found: z.number().int().nullable(),
  last_scan_created: z.number().int().nullable(),
  last_scan_error: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

const runSchema = z.object({
  id: z.string(),
  source_id: z.string(),
  trigger: z.enum(['manual', 'schedule']),
  status: z.enum(['running', 'succeeded', 'failed']),
  started_at: timestamp,
  finished_at: nullableTimestamp,
  duration_ms: z.number().int().nullable(),
  found: z.number().int().describe('Certificates the source reported (readable ones)'),
  new_certificates: z.number().int().describe('Of those, how many the triage had not seen'),
  errors: z.array(z.object({ path: z.string(), error: z.string() })).describe('Entries that could not be read'),
  error: z.string().nullable().describe("The connector's error when the run failed"),
});

const scanResultSchema = z.object({
  source_id: z.string(),
  run_id: z.string(),
  status: z.enum(['succeeded', 'failed']),
  found: z.number().int(),
  created: z.number().int(),
  rejected: z.array(z.object({ path: z.string(), error: z.string() })),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
});

/** Discovery sources: configured discovery connectors the server scans on their interval. */
export function cloudDiscoveryRoutes(deps: ServiceDeps, runtime: CloudDiscoveryRuntime): AnyRouteSpec[] {
  const tags = ['discovery'];
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/discovery-source-types',
      operationId: 'listDiscoverySourceTypes',
      summary: 'Installed discovery connectors and their config JSON Schema',
      tags,
      access: 'viewer',
      responses: {
        200: { description: 'Connectors', schema: z.object({ data: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: () => ({ data: listDiscoverySourceTypes(deps) }),
    }),
    ...scheduledResourceRoutes({
      path: '/api/v1/discovery-sources',
      tags,
      entity: sourceSchema,
      writeAccess: 'admin',
      list: {
        operationId: 'listDiscoverySources',
        summary: 'List discovery sources',
        description: 'Sources',
        handler: ({ page }) => listDiscoverySources(deps, page),
      },
      create: {
        operationId: 'createDiscoverySource',
        summary: 'Configure a discovery source (config validated by the connector; secrets encrypted at rest)',
        description: 'Created',
        body: sourceBody,
        handler: ({ actor, body }) => createDiscoverySource(deps, actor, fromWire(body)),
      },
      get: {
        operationId: 'getDiscoverySource',
        summary: 'Get a discovery source (with its last scan)',
        description: 'Source',
        handler: ({ id }) => getDiscoverySource(deps, id),
      },
      update: {
        operationId: 'updateDiscoverySource',
        summary: 'Update a discovery source (a secret sent back as "[redacted]" keeps its stored value)',
        description: 'Updated',
        body: sourceBody.omit({ id: true, type: true }).partial(),
        handler: ({ actor, id, body }) => updateDiscoverySource(deps, actor, id, fromWire(body)),
      },
      delete: {
        operationId: 'deleteDiscoverySource',
        summary: 'Delete a discovery source (its findings stay in triage)',
        description: 'Deleted',
        handler: ({ actor, id }) => deleteDiscoverySource(deps, runtime, actor, id),
      },
      runNow: {
        action: 'scan',
        operationId: 'scanDiscoverySource',
        summary: 'Scan the source now and feed its certificates to the discovery triage',
        description: 'Scanned',
        access: 'operator',
        status: 200,
        schema: scanResultSchema,
        handler: ({ actor, id }) => scanDiscoverySource(deps, runtime, actor, id),
      },
      runs: {
        segment: 'runs',
        operationId: 'listDiscoverySourceRuns',
        summary:
          'Scan runs of a discovery source, newest first (the newest CERTCTL_DISCOVERY_SOURCE_RUNS_KEPT are kept)',
        description: 'Runs',
        schema: runSchema,
        handler: ({ id, page }) => listDiscoverySourceRuns(deps, id, page),
      },
    }).all,
  ];
}
