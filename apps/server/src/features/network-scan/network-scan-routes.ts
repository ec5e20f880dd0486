import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { scheduledResourceRoutes } from '../../http/scheduled-resource-routes.js';
import {
  idParams,
  int32,
  listOf,
  name,
  nullableTimestamp,
  pageOf,
  pageQuery,
  resourceId,
  timestamp,
} from '../../http/schemas/common.js';
import { fromWire } from '../../http/wire-format.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { agentNetworkScansAnswer, networkScanReportBody } from '@certctl/wire';
import {
  agentNetworkScans,
  createScanTarget,
  deleteScanTarget,
  getScan,
  getScanTarget,
  listScans,
  listScanTargets,
  type NetworkScanRuntime,
  reportAgentNetworkScan,
  startScan,
  updateScanTarget,
} from './network-scan.js';
import type { Counter } from 'prom-client';
import { listScepProbes, probeScepServer } from './scep-probe.js';
import {
  getNetworkScanSettings,
  networkScanSettingsSchema,
  updateNetworkScanSettings,
} from './network-scan-settings.js';

const hostName = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:.]+$/, 'a host name or an IP address');

const RUNNER =
  'The agent that runs the scans from its own network (it applies the same guard rails); null or absent: the server';

const targetBody = z
  .object({
    id: resourceId.optional(),
    name,
    cidrs: z
      .array(z.string().max(64))
      .max(64)
      .default([])
      .describe('Address blocks to probe (each at most max_addresses_per_cidr addresses, 4096 = /20 by default)'),
    hosts: z.array(hostName).max(256).default([]).describe('Host names (resolved; sent as SNI) or single addresses'),
    ports: z.array(z.number().int().min(1).max(65535)).min(1).max(64).default([443]),
    enabled: z.boolean().default(true),
    scan_interval_hours: int32(1, 8760).default(6),
    timeout_ms: int32(100, 60_000).default(5000).describe('Per-connection deadline (connect, STARTTLS, handshake)'),
    agent_id: resourceId.nullable().optional().describe(RUNNER),
    agent_group_id: resourceId
      .nullable()
      .optional()
      .describe('An agent group: each scan is handed to one of its members (an online one first)'),
  })
  .strict();

const targetUpdateBody = z
  .object({
    name: name.optional(),
    cidrs: z.array(z.string().max(64)).max(64).optional(),
    hosts: z.array(hostName).max(256).optional(),
    ports: z.array(z.number().int().min(1).max(65535)).min(1).max(64).optional(),
    enabled: z.boolean().optional(),
    scan_interval_hours: int32(1, 8760).optional(),
    timeout_ms: int32(100, 60_000).optional(),
    agent_id: resourceId.nullable().optional().describe(`${RUNNER} (naming one clears agent_group_id)`),
    agent_group_id: resourceId.nullable().optional().describe('An agent group (naming one clears agent_id)'),
  })
  .strict();

const targetSchema = z.object({
  id: z.string(),
  name: z.string(),
  cidrs: z.array(z.string()),
  hosts: z.array(z.string()),
  ports: z.array(z.number().int()),
  enabled: z.boolean(),
  scan_interval_hours: z.number().int(),
  timeout_ms: z.number().int(),
  agent_id: z.string().nullable(),
  agent_group_id: z.string().nullable(),
  last_scan_at: nullableTimestamp,
  last_scan_duration_ms: z.number().int().nullable(),
  last_scan_certs_found: z.number().int().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

const scanSchema = z.object({
  id: z.string(),
  target_id: z.string(),
  trigger: z.enum(['manual', 'schedule']),
  status: z.enum(['running', 'succeeded', 'failed']),
  started_at: timestamp,
  finished_at: nullableTimestamp,
  duration_ms: z.number().int().nullable(),
  endpoints_probed: z.number().int(),
  certificates_found: z.number().int(),
  new_certificates: z.number().int(),
  outcomes: z.object({
    found: z.number().int(),
    refused: z.number().int(),
    timeout: z.number().int(),
    failed: z.number().int(),
  }),
  skipped: z.array(z.object({ reason: z.string(), count: z.number().int(), examples: z.array(z.string()) })),
  errors: z.array(z.object({ endpoint: z.string(), error: z.string() })),
  summary: z.string().describe('What was tried and what came of it, in one line'),
  agent_id: z.string().nullable().describe('The agent that runs (ran) this scan; null: the server'),
  handed_out_at: nullableTimestamp.describe('When that agent first asked for it'),
});

const settingsSchema = z.object({
  max_addresses_per_cidr: z.number().int(),
  allow_loopback: z.boolean(),
  concurrency: z.number().int(),
  rate_per_second: z.number().int(),
});

/** Network TLS scanning: targets, scans (now or on their interval), history, and the admin's guard rails. */
const scepProbeSchema = z.object({
  id: z.string(),
  target_url: z.string(),
  reachable: z.boolean(),
  advertised_caps: z.array(z.string()),
  supports_post: z.boolean(),
  supports_sha256: z.boolean(),
  supports_sha512: z.boolean(),
  supports_aes: z.boolean(),
  supports_scep_standard: z.boolean(),
  supports_renewal: z.boolean(),
  ca_subject: z.string().nullable(),
  ca_issuer: z.string().nullable(),
  ca_key_algorithm: z.string().nullable(),
  ca_not_after: nullableTimestamp,
  ca_days_to_expiry: z.number().int().nullable(),
  chain_length: z.number().int(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  probed_by: z.string(),
  created_at: timestamp,
});

export function networkScanRoutes(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  scepProbes: Counter<'result'>,
): AnyRouteSpec[] {
  const tags = ['network scan'];
  return [
    ...scheduledResourceRoutes({
      path: '/api/v1/network-scan-targets',
      tags,
      entity: targetSchema,
      writeAccess: 'operator',
      list: {
        operationId: 'listNetworkScanTargets',
        summary: 'List network scan targets',
        description: 'Targets',
        handler: ({ page }) => listScanTargets(deps, page),
      },
      create: {
        operationId: 'createNetworkScanTarget',
        summary: 'Create a network scan target (CIDRs and host names × ports)',
        description: 'Created',
        body: targetBody,
        handler: ({ actor, body }) => createScanTarget(deps, actor, fromWire(body)),
      },
      get: {
        operationId: 'getNetworkScanTarget',
        summary: 'Get a network scan target (with its last scan facts)',
        description: 'Target',
        handler: ({ id }) => getScanTarget(deps, id),
      },
      update: {
        operationId: 'updateNetworkScanTarget',
        summary: 'Update a network scan target (the fields given)',
        description: 'Updated',
        body: targetUpdateBody,
        handler: ({ actor, id, body }) => updateScanTarget(deps, actor, id, fromWire(body)),
      },
      delete: {
        operationId: 'deleteNetworkScanTarget',
        summary: 'Delete a network scan target and its scan history (its findings stay in triage)',
        description: 'Deleted',
        handler: ({ actor, id }) => deleteScanTarget(deps, runtime, actor, id),
      },
      runNow: {
        action: 'scan',
        operationId: 'scanNetworkScanTarget',
        summary: 'Scan the target now (runs in the background; poll its scans)',
        description: 'Started',
        access: 'operator',
        status: 202,
        schema: scanSchema,
        handler: async ({ actor, id }) => {
          const { done: _done, ...scan } = await startScan(deps, runtime, actor, id, 'manual');
          return scan;
        },
      },
      runs: {
        segment: 'scans',
        operationId: 'listNetworkScans',
        summary: 'Scan history of a target, newest first',
        description: 'Scans',
        schema: scanSchema,
        handler: ({ id, page }) => listScans(deps, id, page),
        getOne: {
          param: 'scan_id',
          operationId: 'getNetworkScan',
          summary: 'One scan of a target',
          description: 'Scan',
          handler: ({ id, runId }) => getScan(deps, id, runId),
        },
      },
    }).all,
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/{id}/network-scans',
      operationId: 'agentNetworkScans',
      summary: 'Network scans handed to this agent, with the guard rails to apply',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      responses: { 200: { description: 'Scans to run', schema: agentNetworkScansAnswer } },
      handler: ({ actor, params }) => agentNetworkScans(deps, actor, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/network-scans/{scan_id}',
      operationId: 'agentReportNetworkScan',
      summary: 'Report a network scan the agent ran: findings go to the discovery triage',
      tags: ['agent protocol'],
      access: 'agent',
      params: z.object({ id: resourceId, scan_id: resourceId }),
      body: networkScanReportBody,
      responses: { 200: { description: 'The recorded scan', schema: scanSchema } },
      handler: ({ actor, params, body }) =>
        reportAgentNetworkScan(deps, runtime, actor, params.id, params.scan_id, {
          endpointsProbed: body.endpoints_probed,
          outcomes: body.outcomes,
          findings: body.findings.map((f) => ({ endpoint: f.endpoint, certificatePem: f.certificate_pem })),
          skipped: body.skipped,
          errors: body.errors,
          summary: body.summary,
          aborted: body.status === 'failed',
          durationMs: body.duration_ms,
        }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/network-scan/scep-probe',
      operationId: 'probeScepServer',
      summary: 'Probe a SCEP server: GetCACaps and GetCACert only (never an enrolment); the result is kept',
      tags,
      access: 'operator',
      body: z.object({ url: z.url({ protocol: /^https?$/ }).max(2048) }).strict(),
      responses: {
        200: { description: 'Probe result (reachable false with the error when it failed)', schema: scepProbeSchema },
      },
      handler: ({ actor, body }) => probeScepServer(deps, scepProbes, actor, body.url),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/network-scan/scep-probes',
      operationId: 'listScepProbes',
      summary: 'SCEP probe history, newest first',
      tags,
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Probes', schema: listOf(scepProbeSchema) } },
      handler: ({ query }) => listScepProbes(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/network-scan/settings',
      operationId: 'getNetworkScanSettings',
      summary: 'The guard rails of every network scan',
      tags,
      access: 'viewer',
      responses: { 200: { description: 'Settings', schema: settingsSchema } },
      handler: () => getNetworkScanSettings(deps.db),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/network-scan/settings',
      operationId: 'updateNetworkScanSettings',
      summary: 'Change the guard rails (the fields given): CIDR size limit, loopback, concurrency, rate',
      tags,
      access: 'admin',
      body: networkScanSettingsSchema.partial(),
      responses: { 200: { description: 'Settings', schema: settingsSchema } },
      handler: ({ actor, body }) => updateNetworkScanSettings(deps.db, actor, body),
    }),
  ];
}
