import { z } from 'zod';
import type { ServiceDeps } from '../services/service-deps.js';
import { buildOpenApiDocument } from './openapi.js';
import { type AnyRouteSpec, defineRoute } from './route-spec.js';
import { agentRoutes } from './routes/agent-routes.js';
import { caHierarchyRoutes } from './routes/ca-hierarchy-routes.js';
import { certificateRoutes } from './routes/certificate-routes.js';
import { discoveryRoutes } from './routes/discovery-routes.js';
import { issuerRoutes } from './routes/issuer-routes.js';
import { ocspRoutes } from './routes/ocsp-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { ownershipRoutes } from './routes/ownership-routes.js';
import { policyRoutes } from './routes/policy-routes.js';
import { metricsRoute, publicRoutes } from './routes/system-routes.js';
import { workflowRoutes } from './routes/workflow-routes.js';
import { scepRoutes } from '../scep/scep-routes.js';
import { issuerImportRoutes } from '../issuer-import/issuer-import-routes.js';

/** Every route of the HTTPS listener, the OpenAPI document included (it describes all the others). */
export function apiRoutes(deps: ServiceDeps, info: { version: string }): AnyRouteSpec[] {
  const routes: AnyRouteSpec[] = [
    ...publicRoutes(deps),
    ...ocspRoutes(deps),
    metricsRoute(deps),
    ...ownershipRoutes(deps),
    ...policyRoutes(deps),
    ...issuerRoutes(deps),
    ...issuerImportRoutes(deps),
    ...caHierarchyRoutes(deps),
    ...certificateRoutes(deps),
    ...workflowRoutes(deps),
    ...agentRoutes(deps),
    ...discoveryRoutes(deps),
    ...notificationRoutes(deps),
    ...scepRoutes(deps, { mtls: true }),
  ];
  routes.push(
    defineRoute({
      method: 'GET',
      path: '/api/v1/version',
      operationId: 'getVersion',
      summary: 'Server version',
      tags: ['meta'],
      access: 'public',
      responses: { 200: { description: 'Version', schema: z.object({ version: z.string() }) } },
      handler: () => ({ version: info.version }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/auth/info',
      operationId: 'getAuthInfo',
      summary: 'How to authenticate (for the dashboard)',
      tags: ['meta'],
      access: 'public',
      responses: {
        200: {
          description: 'Auth mode',
          schema: z.object({ auth_type: z.literal('api-key'), roles: z.array(z.string()) }),
        },
      },
      handler: () => ({ authType: 'api-key' as const, roles: ['admin', 'operator', 'viewer', 'agent'] }),
    }),
  );
  let document: unknown;
  routes.push(
    defineRoute({
      method: 'GET',
      path: '/api/v1/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This API as OpenAPI 3.1',
      tags: ['meta'],
      access: 'public',
      responses: { 200: { description: 'OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
      handler: ({ reply }) => {
        document ??= buildOpenApiDocument(routes, info);
        reply.header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(document);
      },
    }),
  );
  return routes;
}

/** The plain-HTTP listener serves only what relying parties fetch without TLS. */
export function pkiRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [...publicRoutes(deps), ...ocspRoutes(deps), ...scepRoutes(deps)];
}
