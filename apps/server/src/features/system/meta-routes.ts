import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';

/** What the dashboard asks before it has a key: the server version and how to authenticate. */
export function metaRoutes(info: { version: string }): AnyRouteSpec[] {
  return [
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
  ];
}
