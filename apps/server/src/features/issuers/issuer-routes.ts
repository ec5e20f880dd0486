import { z } from 'zod';
import {
  createIssuer,
  deleteIssuer,
  getIssuer,
  issuerCaChain,
  listIssuers,
  listIssuerTypes,
  testIssuer,
  updateIssuer,
} from './issuers.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import {
  CONFIG_REPLACES,
  connectorConfig,
  idParams,
  listOf,
  name,
  pageOf,
  pageQuery,
} from '../../http/schemas/common.js';
import { issuerSchema } from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';

const issuerBody = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes')
      .optional(),
    name,
    type: z.string().min(1).max(64),
    config: connectorConfig.default({}),
    enabled: z.boolean().optional(),
  })
  .strict();

export function issuerRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/issuer-types',
      operationId: 'listIssuerTypes',
      summary: 'Installed issuer connectors, their capabilities and config JSON Schemas',
      tags: ['issuers'],
      access: 'viewer',
      responses: {
        200: { description: 'Connectors', schema: z.object({ data: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: () => ({ data: listIssuerTypes(deps) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/issuers',
      operationId: 'listIssuers',
      summary: 'List issuers (secrets redacted)',
      tags: ['issuers'],
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Issuers', schema: listOf(issuerSchema) } },
      handler: ({ query }) => listIssuers(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/issuers',
      operationId: 'createIssuer',
      summary: "Create an issuer; config is validated by the connector's schema and its secrets encrypted at rest",
      tags: ['issuers'],
      access: 'admin',
      body: issuerBody,
      responses: { 201: { description: 'Created', schema: issuerSchema } },
      handler: ({ actor, body }) => createIssuer(deps, actor, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/issuers/{id}',
      operationId: 'getIssuer',
      summary: 'Get an issuer (secrets redacted)',
      tags: ['issuers'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Issuer', schema: issuerSchema } },
      handler: ({ params }) => getIssuer(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/issuers/{id}',
      operationId: 'updateIssuer',
      summary:
        'Update an issuer: only the fields sent change; a config sent replaces the stored one ("[redacted]" keeps a secret)',
      tags: ['issuers'],
      access: 'admin',
      params: idParams,
      body: issuerBody
        .omit({ id: true, type: true, config: true })
        .partial()
        .extend({ config: connectorConfig.optional().describe(CONFIG_REPLACES) }),
      responses: { 200: { description: 'Updated', schema: issuerSchema } },
      handler: ({ actor, params, body }) => updateIssuer(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/issuers/{id}',
      operationId: 'deleteIssuer',
      summary: 'Delete an issuer (409 while certificates use it)',
      tags: ['issuers'],
      access: 'admin',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteIssuer(deps, actor, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/issuers/{id}/test',
      operationId: 'testIssuer',
      summary: 'Test the connection to the CA',
      tags: ['issuers'],
      access: 'operator',
      params: idParams,
      responses: { 200: { description: 'Result', schema: z.object({ ok: z.boolean(), detail: z.string() }) } },
      handler: ({ actor, params }) => testIssuer(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/issuers/{id}/ca-chain',
      operationId: 'getIssuerCaChain',
      summary: "The issuing CA's chain as PEM (issuing CA first), for openssl verify and trust stores",
      tags: ['issuers'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'PEM bundle', contentType: 'application/pem-certificate-chain' } },
      handler: async ({ params, reply }) => {
        const chain = await issuerCaChain(deps, params.id);
        reply.type('application/pem-certificate-chain');
        return chain.join('');
      },
    }),
  ];
}
