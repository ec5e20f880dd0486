import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import {
  idParams,
  listOf,
  name,
  nullableTimestamp,
  pageOf,
  pageQuery,
  resourceId,
  text,
  timestamp,
} from '../../http/schemas/common.js';
import { fromWire } from '../../http/wire-format.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { RULE_CONFIG_SCHEMAS } from './policy-rule-configs.js';
import { POLICY_ENFORCEMENTS, POLICY_RULE_TYPES, POLICY_SEVERITIES } from './policy-rule-tables.js';
import {
  createPolicyRule,
  deletePolicyRule,
  getPolicyRule,
  listPolicyRules,
  listViolations,
  updatePolicyRule,
} from './policy-rules.js';

const CONFIG_HELP = `Parameters of the rule type: ${Object.entries(RULE_CONFIG_SCHEMAS)
  .map(([type, schema]) => `${type}: ${schema.description}`)
  .join('; ')}.`;

const ruleConfig = z.record(z.string(), z.unknown()).describe(CONFIG_HELP);

const policyRuleSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  type: z.enum(POLICY_RULE_TYPES),
  config: z.record(z.string(), z.unknown()),
  severity: z.enum(POLICY_SEVERITIES),
  enforcement: z.enum(POLICY_ENFORCEMENTS),
  enabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});

const violationSchema = z.object({
  id: z.string(),
  rule_id: z.string(),
  subject_key: z.string(),
  certificate_id: z.string().nullable(),
  names: z.array(z.string()),
  source: z.string(),
  severity: z.enum(POLICY_SEVERITIES),
  enforcement: z.enum(POLICY_ENFORCEMENTS),
  blocked: z.boolean(),
  message: z.string(),
  status: z.enum(['open', 'resolved']),
  occurrences: z.number().int(),
  first_seen_at: timestamp,
  last_seen_at: timestamp,
  resolved_at: nullableTimestamp,
  alerted_at: nullableTimestamp,
});

const ruleBody = z
  .object({
    id: resourceId.optional(),
    name,
    description: text(2000).optional(),
    type: z.enum(POLICY_RULE_TYPES),
    config: ruleConfig.optional(),
    severity: z.enum(POLICY_SEVERITIES).optional().describe('default warning'),
    enforcement: z
      .enum(POLICY_ENFORCEMENTS)
      .optional()
      .describe('enforcing: issuance that breaks the rule is refused; advisory (default): it is only reported'),
    enabled: z.boolean().optional(),
  })
  .strict();

const updateBody = ruleBody.omit({ id: true, type: true }).partial().strict();

const violationQuery = pageQuery.extend({
  status: z.enum(['open', 'resolved']).optional(),
  certificate_id: z.string().max(200).optional(),
  severity: z.enum(POLICY_SEVERITIES).optional(),
});

function violationView<T extends { details: unknown }>(row: T): Omit<T, 'details'> {
  const { details: _details, ...view } = row;
  return view;
}

export function policyRuleRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/policies',
      operationId: 'listPolicies',
      summary: 'List policy rules',
      tags: ['policies'],
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Policy rules', schema: listOf(policyRuleSchema) } },
      handler: ({ query }) => listPolicyRules(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/policies',
      operationId: 'createPolicy',
      summary: 'Create a policy rule (enforcing rules refuse issuance on every path)',
      tags: ['policies'],
      access: 'operator',
      body: ruleBody,
      responses: { 201: { description: 'Created', schema: policyRuleSchema } },
      handler: ({ actor, body }) => createPolicyRule(deps, actor, { ...fromWire(body), config: body.config }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/policies/{id}',
      operationId: 'getPolicy',
      summary: 'Get a policy rule',
      tags: ['policies'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Policy rule', schema: policyRuleSchema } },
      handler: ({ params }) => getPolicyRule(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/policies/{id}',
      operationId: 'updatePolicy',
      summary: 'Update a policy rule (its type cannot change)',
      tags: ['policies'],
      access: 'operator',
      params: idParams,
      body: updateBody,
      responses: { 200: { description: 'Updated', schema: policyRuleSchema } },
      handler: ({ actor, params, body }) =>
        updatePolicyRule(deps, actor, params.id, { ...fromWire(body), config: body.config }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/policies/{id}',
      operationId: 'deletePolicy',
      summary: 'Delete a policy rule and its violations',
      tags: ['policies'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deletePolicyRule(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/policies/{id}/violations',
      operationId: 'listPolicyViolationsOfPolicy',
      summary: 'Violations of one policy rule',
      tags: ['policies'],
      access: 'viewer',
      params: idParams,
      query: violationQuery,
      responses: { 200: { description: 'Violations', schema: listOf(violationSchema) } },
      handler: async ({ params, query }) => {
        const page = await listViolations(
          deps,
          {
            ruleId: params.id,
            status: query.status,
            certificateId: query.certificate_id,
            severity: query.severity,
          },
          pageOf(query),
        );
        return { ...page, data: page.data.map(violationView) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/policy-violations',
      operationId: 'listPolicyViolations',
      summary: 'Violations of every policy rule (newest sighting first)',
      tags: ['policies'],
      access: 'viewer',
      query: violationQuery.extend({ policy_id: z.string().max(200).optional() }),
      responses: { 200: { description: 'Violations', schema: listOf(violationSchema) } },
      handler: async ({ query }) => {
        const page = await listViolations(
          deps,
          {
            ruleId: query.policy_id,
            status: query.status,
            certificateId: query.certificate_id,
            severity: query.severity,
          },
          pageOf(query),
        );
        return { ...page, data: page.data.map(violationView) };
      },
    }),
  ];
}
