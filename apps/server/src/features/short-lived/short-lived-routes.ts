import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { listOf, nullableTimestamp, pageOf, pageQuery } from '../../http/schemas/common.js';
import { certificateStatus } from '../../http/schemas/entities.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { listShortLived } from './short-lived.js';

export function shortLivedRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/short-lived-certificates',
      operationId: 'listShortLivedCertificates',
      summary:
        'Certificates on short-lived profiles (allow_short_lived, max TTL under an hour) with their remaining TTL',
      tags: ['certificates'],
      access: 'viewer',
      query: pageQuery.extend({ include_expired: z.enum(['true', 'false']).optional() }),
      responses: {
        200: {
          description: 'Short-lived certificates, soonest expiry first',
          schema: listOf(
            z.object({
              id: z.string(),
              name: z.string(),
              common_name: z.string(),
              status: certificateStatus,
              profile_id: z.string(),
              max_ttl_seconds: z.number().int(),
              expires_at: nullableTimestamp,
              remaining_ttl_seconds: z
                .number()
                .int()
                .nullable()
                .describe('seconds until expiry, 0 once expired, null before the first issuance'),
            }),
          ),
        },
      },
      handler: ({ query }) => listShortLived(deps, { includeExpired: query.include_expired === 'true' }, pageOf(query)),
    }),
  ];
}
