import { sql } from 'kysely';
import { z } from 'zod';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { sendError } from '../../http/http-errors.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';

/** Routes both listeners serve without authentication: liveness and readiness. */
export function publicRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      operationId: 'getHealth',
      summary: 'Liveness',
      tags: ['health'],
      access: 'public',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('healthy') }) } },
      handler: () => ({ status: 'healthy' as const }),
    }),
    defineRoute({
      method: 'GET',
      path: '/ready',
      operationId: 'getReadiness',
      summary: 'Readiness: the database answers',
      tags: ['health'],
      access: 'public',
      responses: {
        200: { description: 'Ready', schema: z.object({ status: z.literal('ready') }) },
        503: { description: 'Database unavailable' },
      },
      handler: async ({ reply }) => {
        try {
          await sql`select 1`.execute(deps.db);
          return { status: 'ready' as const };
        } catch {
          return sendError(reply, 503, 'db_unavailable', 'the database does not answer');
        }
      },
    }),
  ];
}

export function metricsRoute(deps: ServiceDeps): AnyRouteSpec {
  return defineRoute({
    method: 'GET',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition)',
    tags: ['health'],
    access: 'viewer',
    responses: { 200: { description: 'Metrics', contentType: 'text/plain; version=0.0.4' } },
    handler: async ({ reply }) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  });
}
