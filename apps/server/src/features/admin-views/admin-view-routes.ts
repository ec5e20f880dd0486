import { z } from 'zod';
import type { ServerConfig } from '../../config/index.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, nullableTimestamp, timestamp } from '../../http/schemas/common.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import {
  crlCacheState,
  estProfiles,
  jobTrends,
  markNotificationRead,
  reloadTrust,
  scepProfiles,
} from './admin-views.js';

const trustBundle = z.object({
  purpose: z.enum(['mtls_client_ca', 'intune_connector']),
  path: z.string(),
  certificates: z.number().int(),
  subjects: z.array(z.string()),
  earliest_not_after: nullableTimestamp,
  latest_not_after: nullableTimestamp,
  expired: z.number().int().describe('certificates in the bundle already past notAfter'),
  error: z.string().nullable().describe('why the file does not read as a bundle; null when it does'),
});
const activity = z.object({
  certificates_total: z.number().int(),
  certificates_last_day: z.number().int(),
  last_enrolled_at: nullableTimestamp,
});
const trustAnswer = {
  200: {
    description: 'Each trust bundle now in effect; `error` says why a file was not taken (the previous bundle stays)',
    schema: z.object({ data: z.array(trustBundle) }),
  },
} as const;

export function adminViewRoutes(deps: ServiceDeps, config: ServerConfig): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/stats/job-trends',
      operationId: 'getJobTrends',
      summary: 'Jobs created per UTC day, by type and outcome (dashboard chart)',
      tags: ['stats'],
      access: 'viewer',
      query: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }),
      responses: {
        200: {
          description: 'One row per day and job type, oldest first; days without jobs count zero',
          schema: z.object({
            days: z.number().int(),
            data: z.array(
              z.object({
                date: z.string().describe('YYYY-MM-DD (UTC)'),
                type: z.enum(['issuance', 'renewal', 'deployment']),
                succeeded: z.number().int(),
                failed: z.number().int().describe('failed or dead'),
                cancelled: z.number().int(),
                open: z.number().int().describe('not finished yet'),
                total: z.number().int(),
              }),
            ),
          }),
        },
      },
      handler: ({ query }) => jobTrends(deps, query.days),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/notifications/{id}/read',
      operationId: 'markNotificationRead',
      summary: 'Mark a notification read (the first reader and time are kept)',
      tags: ['notifications'],
      access: 'operator',
      params: idParams,
      responses: {
        200: {
          description: 'Read',
          schema: z.object({ id: z.string(), read_at: timestamp, read_by: z.string() }),
        },
      },
      handler: ({ actor, params }) => markNotificationRead(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/admin/crl/cache',
      operationId: 'getCrlCacheState',
      summary: 'The pre-generated CRL of each issuer: number, validity, entries, staleness',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'CRL cache',
          schema: z.object({
            data: z.array(
              z.object({
                issuer_id: z.string(),
                issuer_name: z.string().nullable(),
                crl_number: z.string(),
                this_update: nullableTimestamp,
                next_update: nullableTimestamp,
                revoked_count: z.number().int(),
                stale: z
                  .boolean()
                  .describe('a revocation happened since it was generated; regenerated at the next request or loop'),
                expired: z.boolean().describe('next_update has passed'),
                generated_at: nullableTimestamp,
                size_bytes: z.number().int().nullable(),
              }),
            ),
          }),
        },
      },
      handler: () => crlCacheState(deps),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/admin/est/profiles',
      operationId: 'listEstProfilesAdmin',
      summary: 'EST profiles with their recent enrolments and trust bundle status',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'EST profiles',
          schema: z.object({
            data: z.array(
              z.object({
                profile: z.string(),
                path: z.string(),
                issuer_id: z.string(),
                profile_id: z.string().nullable(),
                auth_modes: z.array(z.string()),
                mtls_enabled: z.boolean(),
                server_keygen_enabled: z.boolean(),
                trust_bundles: z.array(trustBundle),
                activity,
              }),
            ),
          }),
        },
      },
      handler: () => estProfiles(deps, config),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/admin/est/reload-trust',
      operationId: 'reloadEstTrust',
      summary: "Re-read every EST profile's client CA bundle and swap it into the enrolment routes now",
      tags: ['admin'],
      access: 'admin',
      responses: trustAnswer,
      handler: ({ actor }) => reloadTrust(deps, actor, 'est'),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/admin/scep/profiles',
      operationId: 'listScepProfilesAdmin',
      summary: 'SCEP profiles with their recent enrolments and trust bundle status (mTLS client CAs, Intune Connector)',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'SCEP profiles',
          schema: z.object({
            data: z.array(
              z.object({
                profile: z.string(),
                path: z.string(),
                issuer_id: z.string(),
                profile_id: z.string().nullable(),
                intune_enabled: z.boolean(),
                trust_bundles: z.array(trustBundle),
                activity,
              }),
            ),
          }),
        },
      },
      handler: () => scepProfiles(deps, config),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/admin/scep/intune/reload-trust',
      operationId: 'reloadScepTrust',
      summary:
        "Re-read every SCEP profile's trust bundles (Intune Connector, mTLS client CAs) and swap them into the enrolment routes now",
      tags: ['admin'],
      access: 'admin',
      responses: trustAnswer,
      handler: ({ actor }) => reloadTrust(deps, actor, 'scep'),
    }),
  ];
}
