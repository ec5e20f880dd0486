import { z } from 'zod';
import {
  claimDiscovered,
  discoverySummary,
  dismissDiscovered,
  getDiscovered,
  listDiscovered,
  listDiscoveryScans,
  reportDiscovery,
} from './discovery.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import {
  idParams,
  listOf,
  nullableTimestamp,
  pageOf,
  pageQuery,
  resourceId,
  timestamp,
} from '../../http/schemas/common.js';
import { discoveryReportAnswer, discoveryReportBody } from '@certctl/wire';

const ref = resourceId;
const discoveryStatus = z.enum(['unmanaged', 'managed', 'dismissed']);
const discoveredSchema = z
  .object({
    id: z.string(),
    agent_id: z
      .string()
      .nullable()
      .describe('The agent that found it; null when the server did (network scan, cloud source)'),
    source: z.enum(['filesystem', 'network', 'cloud']),
    source_path: z.string(),
    fingerprint_sha256: z.string(),
    common_name: z.string().nullable(),
    sans: z.array(z.string()),
    serial: z.string(),
    subject: z.string(),
    issuer: z.string(),
    not_before: timestamp,
    not_after: timestamp,
    key_algorithm: z.string(),
    status: discoveryStatus,
    managed_certificate_id: z.string().nullable(),
    dismiss_reason: z.string().nullable(),
    last_scan_id: z.string().nullable(),
    first_seen_at: timestamp,
    last_seen_at: nullableTimestamp,
    updated_at: timestamp,
    certificate_pem: z.string().optional(),
  })
  .meta({ id: 'DiscoveredCertificate' });
const scanSchema = z
  .object({
    id: z.string(),
    agent_id: z.string(),
    directories: z.array(z.string()),
    certificates_found: z.number().int(),
    errors: z.array(z.object({ path: z.string(), error: z.string() })),
    scan_duration_ms: z.number().int(),
    created_at: timestamp,
  })
  .meta({ id: 'DiscoveryScan' });
/** Filesystem discovery: agents report what they find; operators claim or dismiss it. */
export function discoveryRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/discoveries',
      operationId: 'agentReportDiscovery',
      summary:
        'Report certificates found on the agent host (deduplicated by fingerprint + agent + path; private keys refused)',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      body: discoveryReportBody,
      responses: {
        200: { description: 'Stored', schema: discoveryReportAnswer },
      },
      handler: ({ actor, params, body }) =>
        reportDiscovery(deps, actor, params.id, {
          directories: body.directories,
          errors: body.errors,
          scanDurationMs: body.scan_duration_ms,
          certificates: body.certificates.map((c) => ({
            path: c.path,
            certificatePem: c.certificate_pem,
            fingerprintSha256: c.fingerprint_sha256,
          })),
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/discovered-certificates',
      operationId: 'listDiscoveredCertificates',
      summary: 'Certificates found by agents, network scans and cloud sources',
      tags: ['discovery'],
      access: 'viewer',
      query: pageQuery.extend({
        status: discoveryStatus.optional(),
        agent_id: z.string().optional(),
        source: z.enum(['filesystem', 'network', 'cloud']).optional(),
      }),
      responses: { 200: { description: 'Findings', schema: listOf(discoveredSchema) } },
      handler: ({ query }) =>
        listDiscovered(deps, { status: query.status, agentId: query.agent_id, source: query.source }, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/discovered-certificates/{id}',
      operationId: 'getDiscoveredCertificate',
      summary: 'One finding, with its certificate PEM',
      tags: ['discovery'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Finding', schema: discoveredSchema } },
      handler: ({ params }) => getDiscovered(deps, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/discovered-certificates/{id}/claim',
      operationId: 'claimDiscoveredCertificate',
      summary: 'Link a finding to a managed certificate',
      tags: ['discovery'],
      access: 'operator',
      params: idParams,
      body: z.object({ managed_certificate_id: ref }).strict(),
      responses: { 200: { description: 'Claimed', schema: discoveredSchema } },
      handler: ({ actor, params, body }) => claimDiscovered(deps, actor, params.id, body.managed_certificate_id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/discovered-certificates/{id}/dismiss',
      operationId: 'dismissDiscoveredCertificate',
      summary: 'Dismiss a finding (later scans keep it dismissed)',
      tags: ['discovery'],
      access: 'operator',
      params: idParams,
      body: z
        .object({ reason: z.string().max(1000).optional() })
        .strict()
        .optional(),
      responses: { 200: { description: 'Dismissed', schema: discoveredSchema } },
      handler: ({ actor, params, body }) => dismissDiscovered(deps, actor, params.id, body?.reason),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/discovery-scans',
      operationId: 'listDiscoveryScans',
      summary: 'Discovery scans reported by agents',
      tags: ['discovery'],
      access: 'viewer',
      query: pageQuery.extend({ agent_id: z.string().optional() }),
      responses: { 200: { description: 'Scans', schema: listOf(scanSchema) } },
      handler: ({ query }) => listDiscoveryScans(deps, { agentId: query.agent_id }, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/discovery-summary',
      operationId: 'getDiscoverySummary',
      summary: 'Findings by status',
      tags: ['discovery'],
      access: 'viewer',
      responses: {
        200: {
          description: 'Counts',
          schema: z.object({ unmanaged: z.number().int(), managed: z.number().int(), dismissed: z.number().int() }),
        },
      },
      handler: () => discoverySummary(deps),
    }),
  ];
}
