import { z } from 'zod';
import {
  type AgentMetadata,
  agentCertificate,
  agentJobStatus,
  agentSubmitCsr,
  agentWork,
  getAgent,
  heartbeat,
  listAgents,
  registerAgent,
} from './agents.js';
import { jobView } from '../issuance/jobs.js';
import { listRetiredAgents, retireAgent } from '../agent-retirement/agent-retirement.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { createTarget, deleteTarget, getTarget, listTargets, updateTarget } from './targets.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import {
  agentCertificateAnswer,
  agentCsrBody,
  agentHeartbeatAnswer,
  agentHeartbeatBody,
  agentJob,
  agentJobStatusBody,
  type agentMetadata,
  agentRegistered,
  agentRegistrationBody,
  agentWorkAnswer,
} from '@certctl/wire';
import {
  CONFIG_REPLACES,
  connectorConfig,
  idParams,
  listOf,
  name,
  pageOf,
  pageQuery,
  resourceId,
} from '../../http/schemas/common.js';
import { agentSchema, targetSchema } from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';

const ref = resourceId;

const targetBody = z
  .object({
    id: ref.optional(),
    name,
    type: z.string().min(1).max(64),
    agent_id: ref.nullable().optional(),
    config: connectorConfig.optional().describe(CONFIG_REPLACES),
    enabled: z.boolean().optional(),
  })
  .strict();
/** Wire body → AgentMetadata: the target type reports are nested, so they are converted here. */
function agentMetadataOf(body: z.infer<typeof agentMetadata>): AgentMetadata {
  const { target_types, ...rest } = body;
  return {
    ...fromWire<AgentMetadata>(rest),
    ...(target_types && { targetTypes: target_types.map((t) => ({ type: t.type, configSchema: t.config_schema })) }),
  };
}

export function agentRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents',
      operationId: 'listAgents',
      summary: 'List agents',
      tags: ['agents'],
      access: 'viewer',
      query: pageQuery.extend({ include_retired: z.enum(['true', 'false']).optional() }),
      responses: { 200: { description: 'Agents', schema: listOf(agentSchema) } },
      handler: ({ query }) => listAgents(deps, { includeRetired: query.include_retired === 'true' }, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents',
      operationId: 'registerAgent',
      summary: 'Register an agent (bootstrap token or operator key); returns its own API key once',
      tags: ['agents'],
      access: 'agent-registration',
      body: agentRegistrationBody,
      responses: {
        201: { description: 'Registered', schema: agentRegistered },
      },
      handler: async ({ actor, body }) => {
        const {
          agent,
          apiKey,
          rejectedTargetTypes: rejected,
        } = await registerAgent(deps, actor, { ...agentMetadataOf(body), name: body.name });
        return { ...agent, apiKey, ...(rejected.length > 0 && { rejectedTargetTypes: rejected }) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/{id}',
      operationId: 'getAgent',
      summary: 'Get an agent',
      tags: ['agents'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Agent', schema: agentSchema } },
      handler: ({ params }) => getAgent(deps, params.id),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/agents/{id}',
      operationId: 'retireAgent',
      summary:
        'Soft-retire an agent: 409 listing what depends on it (targets, certificates, open jobs), unless force=true with a reason, which disables its targets and cancels its jobs; 204 when already retired',
      tags: ['agents'],
      access: 'operator',
      params: idParams,
      query: z.object({
        force: z.enum(['true', 'false']).optional(),
        reason: z.string().max(500).optional().describe('why; required with force=true, recorded in the audit trail'),
      }),
      responses: { 204: { description: 'Retired' } },
      handler: ({ actor, params, query }) =>
        retireAgent(deps, actor, params.id, { force: query.force === 'true', reason: query.reason }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/retired',
      operationId: 'listRetiredAgents',
      summary: 'Retired agents, newest first, with the reason and who retired them',
      tags: ['agents'],
      access: 'viewer',
      query: pageQuery,
      responses: {
        200: {
          description: 'Retired agents',
          schema: listOf(
            agentSchema.extend({ retired_reason: z.string(), retired_by: z.string(), forced: z.boolean() }),
          ),
        },
      },
      handler: ({ query }) => listRetiredAgents(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/heartbeat',
      operationId: 'agentHeartbeat',
      summary: 'Agent heartbeat (410 once retired)',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      body: agentHeartbeatBody,
      responses: {
        200: { description: 'Agent', schema: agentHeartbeatAnswer },
      },
      handler: ({ actor, params, body }) => heartbeat(deps, actor, params.id, agentMetadataOf(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/{id}/work',
      operationId: 'agentWork',
      summary: 'CSRs to make, HTTP-01 tokens to serve, and deployments to run',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      responses: { 200: { description: 'Work', schema: agentWorkAnswer } },
      handler: async ({ actor, params }) => {
        const items = await agentWork(deps, actor, params.id);
        // `jobs` is passed through as it is (target_config is the target's own JSON), so it is built in wire form.
        return {
          jobs: items.map((i) => ({
            job_id: i.jobId,
            type: i.type,
            certificate_id: i.certificateId,
            common_name: i.commonName,
            sans: i.sans,
            key_algorithm: i.keyAlgorithm,
            target_id: i.targetId,
            target_type: i.targetType,
            target_config: i.targetConfig,
            challenge_id: i.challengeId,
            http01_tokens: i.http01Tokens,
            expires_at: i.expiresAt?.toISOString(),
          })),
          count: items.length,
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/csr',
      operationId: 'agentSubmitCsr',
      summary: 'Submit a CSR made on the agent',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      body: agentCsrBody,
      responses: { 202: { description: 'Queued', schema: agentJob } },
      handler: async ({ actor, params, body }) =>
        jobView(await agentSubmitCsr(deps, actor, params.id, body.certificate_id, body.csr_pem)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/{id}/certificates/{certificate_id}',
      operationId: 'agentGetCertificate',
      summary: 'The latest issued certificate and chain for deployment',
      tags: ['agent protocol'],
      access: 'agent',
      params: z.object({ id: ref, certificate_id: ref }),
      responses: { 200: { description: 'Certificate', schema: agentCertificateAnswer } },
      handler: ({ actor, params }) => agentCertificate(deps, actor, params.id, params.certificate_id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/jobs/{job_id}/status',
      operationId: 'agentJobStatus',
      summary: 'Report progress or the outcome of a job',
      tags: ['agent protocol'],
      access: 'agent',
      params: z.object({ id: ref, job_id: ref }),
      body: agentJobStatusBody,
      responses: { 200: { description: 'Job', schema: agentJob } },
      handler: async ({ actor, params, body }) =>
        jobView(await agentJobStatus(deps, actor, params.id, params.job_id, body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/targets',
      operationId: 'listTargets',
      summary: 'List deployment targets',
      tags: ['targets'],
      access: 'viewer',
      query: pageQuery.extend({ agent_id: z.string().optional() }),
      responses: { 200: { description: 'Targets', schema: listOf(targetSchema) } },
      handler: ({ query }) => listTargets(deps, { agentId: query.agent_id }, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/targets',
      operationId: 'createTarget',
      summary: 'Create a target (deployed by its agent)',
      tags: ['targets'],
      access: 'operator',
      body: targetBody,
      responses: { 201: { description: 'Created', schema: targetSchema } },
      handler: ({ actor, body }) => createTarget(deps, actor, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/targets/{id}',
      operationId: 'getTarget',
      summary: 'Get a target',
      tags: ['targets'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Target', schema: targetSchema } },
      handler: ({ params }) => getTarget(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/targets/{id}',
      operationId: 'updateTarget',
      summary:
        'Update a target: only the fields sent change; a config sent replaces the stored one ("[redacted]" keeps a secret)',
      tags: ['targets'],
      access: 'operator',
      params: idParams,
      body: targetBody.omit({ id: true }).partial(),
      responses: { 200: { description: 'Updated', schema: targetSchema } },
      handler: ({ actor, params, body }) => updateTarget(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/targets/{id}',
      operationId: 'deleteTarget',
      summary: 'Delete a target',
      tags: ['targets'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteTarget(deps, actor, params.id),
    }),
  ];
}
