import { sql } from 'kysely';
import { z } from 'zod';
import { pemToDer } from '@certctl/pki';
import { currentCrl } from '../crl-ocsp/crl.js';
import { issuerCaChain } from '../issuers/issuers.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { sendError } from '../../http/http-errors.js';
import { allowPkiRequest } from '../crl-ocsp/pki-rate-limit.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { resourceId } from '../../http/schemas/common.js';

/** Routes both listeners serve without authentication: liveness, readiness, and the CRL. */
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
    defineRoute({
      method: 'GET',
      path: '/.well-known/pki/crl/{issuer_id}',
      operationId: 'getCrl',
      summary: "The issuer's current CRL (DER); ETag and If-None-Match supported",
      tags: ['pki'],
      access: 'public',
      params: z.object({ issuer_id: resourceId }),
      responses: {
        200: { description: 'DER CRL', contentType: 'application/pkix-crl' },
        304: { description: 'Not modified' },
      },
      handler: async ({ params, request, reply }) => {
        if (!allowPkiRequest(deps, request, reply))
          return sendError(reply, 429, 'rate_limited', 'too many CRL requests from this address');
        const issuerId = params.issuer_id.replace(/\.crl$/, '');
        const crl = await currentCrl(deps, issuerId);
        const maxAge = Math.max(0, Math.floor((crl.nextUpdate.getTime() - deps.now().getTime()) / 1000));
        reply
          .header('etag', crl.etag)
          .header('cache-control', `public, max-age=${Math.min(maxAge, 3600)}`)
          .header('last-modified', crl.thisUpdate.toUTCString());
        if (request.headers['if-none-match'] === crl.etag) return reply.code(304).send();
        reply.type('application/pkix-crl');
        return Buffer.from(crl.der);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/.well-known/pki/ca/{issuer_id}',
      operationId: 'getIssuingCaCertificate',
      summary: "The issuing CA certificate (DER), as named in issued certificates' AIA caIssuers",
      tags: ['pki'],
      access: 'public',
      params: z.object({ issuer_id: resourceId }),
      responses: { 200: { description: 'DER certificate', contentType: 'application/pkix-cert' } },
      handler: async ({ params, reply }) => {
        const chain = await issuerCaChain(deps, params.issuer_id.replace(/\.(cer|crt|der)$/, ''));
        reply.type('application/pkix-cert').header('cache-control', 'public, max-age=3600');
        return Buffer.from(pemToDer(chain[0]!, 'CERTIFICATE'));
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
