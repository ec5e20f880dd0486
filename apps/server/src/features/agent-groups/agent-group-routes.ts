import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, listOf, name, pageOf, pageQuery, resourceId, text, timestamp } from '../../http/schemas/common.js';
import { agentSchema } from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import {
  agentLabels,
  createAgentGroup,
  deleteAgentGroup,
  getAgentGroup,
  listAgentGroups,
  listGroupMembers,
  setAgentLabels,
  renewalPolicyGroup,
  setRenewalPolicyGroup,
  setTargetGroup,
  targetGroup,
  updateAgentGroup,
} from './agent-groups.js';

const labelMap = z
  .record(
    z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9_.\-/]+$/),
    text(255),
  )
  .refine((labels) => Object.keys(labels).length <= 50, 'at most 50 labels');

const groupSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  match_os: z.string().nullable(),
  match_architecture: z.string().nullable(),
  match_hostname: z.string().nullable(),
  match_labels: z.record(z.string(), z.string()),
  include_agent_ids: z.array(z.string()),
  exclude_agent_ids: z.array(z.string()),
  enabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});

const groupBody = z
  .object({
    id: resourceId.optional(),
    name,
    description: text(2000).optional(),
    match_os: text(64).nullable().optional().describe('the agent OS, e.g. linux (case-insensitive)'),
    match_architecture: text(64).nullable().optional().describe('e.g. amd64, arm64 (case-insensitive)'),
    match_hostname: text(253)
      .nullable()
      .optional()
      .describe('hostname pattern; * matches any run of characters (web-*.example.net)'),
    match_labels: labelMap.optional().describe('every label must be on the agent with this value'),
    include_agent_ids: z.array(resourceId).max(1000).optional().describe('members whatever the criteria say'),
    exclude_agent_ids: z.array(resourceId).max(1000).optional().describe('never members'),
    enabled: z.boolean().optional(),
  })
  .strict();

const memberSchema = agentSchema.extend({
  labels: z.record(z.string(), z.string()),
  membership: z.enum(['matched', 'included']),
});

export function agentGroupRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/agent-groups',
      operationId: 'listAgentGroups',
      summary: 'List agent groups',
      tags: ['agent groups'],
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Agent groups', schema: listOf(groupSchema) } },
      handler: ({ query }) => listAgentGroups(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agent-groups',
      operationId: 'createAgentGroup',
      summary: 'Create an agent group (criteria, plus agents included or excluded by hand)',
      tags: ['agent groups'],
      access: 'operator',
      body: groupBody,
      responses: { 201: { description: 'Created', schema: groupSchema } },
      handler: ({ actor, body }) =>
        createAgentGroup(deps, actor, { ...fromWire(body), matchLabels: body.match_labels }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agent-groups/{id}',
      operationId: 'getAgentGroup',
      summary: 'Get an agent group',
      tags: ['agent groups'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Agent group', schema: groupSchema } },
      handler: ({ params }) => getAgentGroup(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/agent-groups/{id}',
      operationId: 'updateAgentGroup',
      summary: 'Update an agent group (include/exclude lists sent replace the stored ones)',
      tags: ['agent groups'],
      access: 'operator',
      params: idParams,
      body: groupBody.omit({ id: true }).partial().strict(),
      responses: { 200: { description: 'Updated', schema: groupSchema } },
      handler: ({ actor, params, body }) =>
        updateAgentGroup(deps, actor, params.id, { ...fromWire(body), matchLabels: body.match_labels }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/agent-groups/{id}',
      operationId: 'deleteAgentGroup',
      summary: 'Delete an agent group (409 while targets are addressed to it)',
      tags: ['agent groups'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteAgentGroup(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agent-groups/{id}/members',
      operationId: 'listAgentGroupMembers',
      summary: 'The live agents of a group now (matched or included, not excluded, not retired)',
      tags: ['agent groups'],
      access: 'viewer',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Members', schema: listOf(memberSchema) } },
      handler: ({ params, query }) => listGroupMembers(deps, params.id, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/{id}/labels',
      operationId: 'getAgentLabels',
      summary: 'An agent’s labels',
      tags: ['agent groups'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Labels', schema: z.object({ labels: z.record(z.string(), z.string()) }) } },
      handler: async ({ params }) => ({ labels: await agentLabels(deps, params.id) }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/agents/{id}/labels',
      operationId: 'setAgentLabels',
      summary: 'Replace an agent’s labels (matched by agent groups)',
      tags: ['agent groups'],
      access: 'operator',
      params: idParams,
      body: z.object({ labels: labelMap }).strict(),
      responses: { 200: { description: 'Labels', schema: z.object({ labels: z.record(z.string(), z.string()) }) } },
      handler: async ({ actor, params, body }) => ({
        labels: await setAgentLabels(deps, actor, params.id, body.labels),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/targets/{id}/agent-group',
      operationId: 'getTargetAgentGroup',
      summary: 'The agent group a target is addressed to (null: its own agent deploys it)',
      tags: ['agent groups'],
      access: 'viewer',
      params: idParams,
      responses: {
        200: { description: 'Group', schema: z.object({ agent_group_id: z.string().nullable() }) },
      },
      handler: async ({ params }) => ({ agentGroupId: await targetGroup(deps, params.id) }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/targets/{id}/agent-group',
      operationId: 'setTargetAgentGroup',
      summary: 'Address a target to an agent group: every member deploys it (null: back to its own agent)',
      tags: ['agent groups'],
      access: 'operator',
      params: idParams,
      body: z.object({ agent_group_id: resourceId.nullable() }).strict(),
      responses: {
        200: { description: 'Group', schema: z.object({ agent_group_id: z.string().nullable() }) },
      },
      handler: async ({ actor, params, body }) => ({
        agentGroupId: await setTargetGroup(deps, actor, params.id, body.agent_group_id),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/renewal-policies/{id}/agent-group',
      operationId: 'getRenewalPolicyAgentGroup',
      summary: "The agent group a renewal policy is addressed to (null: each certificate's own agent makes its CSR)",
      tags: ['agent groups'],
      access: 'viewer',
      params: idParams,
      responses: {
        200: { description: 'Group', schema: z.object({ agent_group_id: z.string().nullable() }) },
      },
      handler: async ({ params }) => ({ agentGroupId: await renewalPolicyGroup(deps, params.id) }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/renewal-policies/{id}/agent-group',
      operationId: 'setRenewalPolicyAgentGroup',
      summary:
        "Address a renewal policy to an agent group: a member makes each issuance's and renewal's CSR (null: back to each certificate's own agent)",
      tags: ['agent groups'],
      access: 'operator',
      params: idParams,
      body: z.object({ agent_group_id: resourceId.nullable() }).strict(),
      responses: {
        200: { description: 'Group', schema: z.object({ agent_group_id: z.string().nullable() }) },
      },
      handler: async ({ actor, params, body }) => ({
        agentGroupId: await setRenewalPolicyGroup(deps, actor, params.id, body.agent_group_id),
      }),
    }),
  ];
}
