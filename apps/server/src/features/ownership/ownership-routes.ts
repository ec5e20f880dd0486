import { z } from 'zod';
import { createOwner, deleteOwner, getOwner, listOwners, updateOwner } from './owners.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { createTeam, deleteTeam, getTeam, listTeams, updateTeam } from './teams.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, listOf, name, pageOf, pageQuery, resourceId } from '../../http/schemas/common.js';
import { ownerSchema, teamSchema } from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';

const teamBody = z.object({ id: resourceId.optional(), name, description: z.string().max(2000).optional() }).strict();
const ownerBody = z
  .object({
    id: resourceId.optional(),
    name,
    email: z.email(),
    team_id: z.string().nullable().optional(),
  })
  .strict();

export function ownershipRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/teams',
      operationId: 'listTeams',
      summary: 'List teams',
      tags: ['ownership'],
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Teams', schema: listOf(teamSchema) } },
      handler: ({ query }) => listTeams(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/teams',
      operationId: 'createTeam',
      summary: 'Create a team',
      tags: ['ownership'],
      access: 'operator',
      body: teamBody,
      responses: { 201: { description: 'Created', schema: teamSchema } },
      handler: ({ actor, body }) => createTeam(deps, actor, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/teams/{id}',
      operationId: 'getTeam',
      summary: 'Get a team',
      tags: ['ownership'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Team', schema: teamSchema } },
      handler: ({ params }) => getTeam(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/teams/{id}',
      operationId: 'updateTeam',
      summary: 'Update a team',
      tags: ['ownership'],
      access: 'operator',
      params: idParams,
      body: teamBody.omit({ id: true }).partial(),
      responses: { 200: { description: 'Updated', schema: teamSchema } },
      handler: ({ actor, params, body }) => updateTeam(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/teams/{id}',
      operationId: 'deleteTeam',
      summary: 'Delete a team (409 while owners or certificates refer to it)',
      tags: ['ownership'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteTeam(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/owners',
      operationId: 'listOwners',
      summary: 'List owners',
      tags: ['ownership'],
      access: 'viewer',
      query: pageQuery.extend({ team_id: z.string().optional() }),
      responses: { 200: { description: 'Owners', schema: listOf(ownerSchema) } },
      handler: ({ query }) => listOwners(deps, { teamId: query.team_id }, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/owners',
      operationId: 'createOwner',
      summary: 'Create an owner',
      tags: ['ownership'],
      access: 'operator',
      body: ownerBody,
      responses: { 201: { description: 'Created', schema: ownerSchema } },
      handler: ({ actor, body }) => createOwner(deps, actor, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/owners/{id}',
      operationId: 'getOwner',
      summary: 'Get an owner',
      tags: ['ownership'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Owner', schema: ownerSchema } },
      handler: ({ params }) => getOwner(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/owners/{id}',
      operationId: 'updateOwner',
      summary: 'Update an owner',
      tags: ['ownership'],
      access: 'operator',
      params: idParams,
      body: ownerBody.omit({ id: true }).partial(),
      responses: { 200: { description: 'Updated', schema: ownerSchema } },
      handler: ({ actor, params, body }) => updateOwner(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/owners/{id}',
      operationId: 'deleteOwner',
      summary: 'Delete an owner',
      tags: ['ownership'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteOwner(deps, actor, params.id),
    }),
  ];
}
