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
  retireAgent,
} from './agents.js';
import { jobView } from '../issuance/jobs.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { createTarget, deleteTarget, getTarget, listTargets, updateTarget } from './targets.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, listOf, name, pageOf, pageQuery, pemText } from '../../http/schemas/common.js';
import { agentSchema, jobSchema, targetSchema } from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';

const ref = z.string().min(1).max(128);
/** A target connector installed on the agent and its config JSON Schema (core's configJsonSchema, secret fields marked). */
const targetTypeReport = z
  .object({
    type: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      .max(64),
    config_schema: z.record(z.string(), z.unknown()),
  })
  .strict();
const metadata = z.object({
  hostname: z.string().max(253).optional(),
  os: z.string().max(64).optional(),
  architecture: z.string().max(64).optional(),
  ip_address: z.string().max(64).optional(),
  version: z.string().max(64).optional(),
  target_types: z.array(targetTypeReport).max(100).optional(),
});
const rejectedTargetTypes = z
  .array(z.object({ type: z.string(), reason: z.string() }))
  .optional()
  .describe('Reported target types whose schema the server cannot use (their targets are stored unchecked)');

const targetBody = z
  .object({
    id: ref.optional(),
    name,
    type: z.string().min(1).max(64),
    agent_id: ref.nullable().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
const workItem = z.object({
  job_id: z.string(),
  type: z.enum(['csr', 'deployment']),
  certificate_id: z.string(),
  common_name: z.string(),
  sans: z.array(z.string()),
  key_algorithm: z.string().optional(),
  target_id: z.string().optional(),
  target_type: z.string().optional(),
  target_config: z.record(z.string(), z.unknown()).optional(),
});

/** Wire body → AgentMetadata: the target type reports are nested, so they are converted here. */
function agentMetadataOf(body: z.infer<typeof metadata>): AgentMetadata {
  const { target_types, ...rest } = body;
  return {
    ...fromWire<AgentMetadata>(rest),
    ...(target_types && { targetTypes: target_types.map((t) => ({ type: t.type, configSchema: t.config_schema })) }),
  };
}

/** The agent's endpoint check after a deployment: TLS handshake, served fingerprint against the new one. */
const deploymentVerification = z
  .object({
    endpoint: z.string().max(300),
    expected_fingerprint: z.string().max(128),
    actual_fingerprint: z.string().max(128).nullable(),
    verified: z.boolean(),
    detail: z.string().max(2000),
    verified_at: z.string().max(64),
  })
  .strict();

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
      body: metadata.extend({ name }).strict(),
      responses: {
        201: {
          description: 'Registered',
          schema: agentSchema.extend({ api_key: z.string(), rejected_target_types: rejectedTargetTypes }),
        },
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
      summary: 'Retire an agent and revoke its keys (409 while it serves targets or certificates)',
      tags: ['agents'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Retired' } },
      handler: ({ actor, params }) => retireAgent(deps, actor, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/heartbeat',
      operationId: 'agentHeartbeat',
      summary: 'Agent heartbeat (410 once retired)',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      body: metadata.strict(),
      responses: {
        200: { description: 'Agent', schema: agentSchema.extend({ rejected_target_types: rejectedTargetTypes }) },
      },
      handler: ({ actor, params, body }) => heartbeat(deps, actor, params.id, agentMetadataOf(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/agents/{id}/work',
      operationId: 'agentWork',
      summary: 'CSRs to make and deployments to run',
      tags: ['agent protocol'],
      access: 'agent',
      params: idParams,
      responses: { 200: { description: 'Work', schema: z.object({ jobs: z.array(workItem), count: z.number() }) } },
      handler: async ({ actor, params }) => {
        const items = await agentWork(deps, actor, params.id);
        return {
          jobs: items.map((i) =>
            Object.fromEntries(
              Object.entries(i).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
            ),
          ),
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
      body: z.object({ certificate_id: ref, csr_pem: pemText }).strict(),
      responses: { 202: { description: 'Queued', schema: jobSchema } },
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
      responses: {
        200: {
          description: 'Certificate',
          schema: z.object({ certificate_pem: z.string(), chain_pem: z.string(), serial: z.string() }),
        },
      },
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
      body: z
        .object({
          status: z.enum(['running', 'succeeded', 'failed']),
          error: z.string().max(4000).optional(),
          verification: deploymentVerification.optional(),
        })
        .strict(),
      responses: { 200: { description: 'Job', schema: jobSchema } },
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
      summary: 'Update a target',
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
