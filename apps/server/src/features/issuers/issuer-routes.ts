import { connectorInstanceRoutes } from '../../http/connector-instance-routes.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams } from '../../http/schemas/common.js';
import { issuerSchema } from '../../http/schemas/entities.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { issuerCaChain, probeIssuer } from './issuers.js';

export function issuerRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    ...connectorInstanceRoutes(deps, {
      kind: 'issuer',
      schema: issuerSchema,
      operationNoun: 'Issuer',
      plural: 'issuers',
      summaries: {
        list: 'List issuers (secrets redacted)',
        create: "Create an issuer; config is validated by the connector's schema and its secrets encrypted at rest",
        get: 'Get an issuer (secrets redacted)',
        update:
          'Update an issuer: only the fields sent change; a config sent replaces the stored one ("[redacted]" keeps a secret)',
        delete: 'Delete an issuer (409 while certificates use it)',
        test: 'Test the connection to the CA',
      },
      descriptions: { many: 'Issuers', one: 'Issuer' },
      probe: probeIssuer,
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
