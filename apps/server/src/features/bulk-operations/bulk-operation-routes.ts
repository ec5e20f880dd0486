import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import {
  idParams,
  listOf,
  nullableTimestamp,
  pageOf,
  pageQuery,
  resourceId,
  timestamp,
} from '../../http/schemas/common.js';
import { certificateStatus, jobStatus } from '../../http/schemas/entities.js';
import type { Actor } from '../../shared/actor.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import type { BulkKind } from './bulk-operation-tables.js';
import {
  type BulkCriteria,
  type BulkRequest,
  getBulkOperation,
  listBulkItems,
  listBulkOperations,
  operationView,
  startBulkOperation,
} from './bulk-operations.js';

const criteriaFields = {
  certificate_ids: z.array(resourceId).max(10_000).optional(),
  owner_id: resourceId.optional(),
  team_id: resourceId.optional(),
  issuer_id: resourceId.optional(),
  profile_id: resourceId.optional(),
  agent_id: resourceId.optional(),
  environment: z.string().max(64).optional(),
  status: certificateStatus.optional(),
  idempotency_key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('repeat the same key within a day to get the same operation back; default: a hash of the request body'),
};

type CriteriaBody = {
  certificate_ids?: string[];
  owner_id?: string;
  team_id?: string;
  issuer_id?: string;
  profile_id?: string;
  agent_id?: string;
  environment?: string;
  status?: string;
  idempotency_key?: string;
};

function criteriaOf(body: CriteriaBody): BulkCriteria {
  return {
    certificateIds: body.certificate_ids,
    ownerId: body.owner_id,
    teamId: body.team_id,
    issuerId: body.issuer_id,
    profileId: body.profile_id,
    agentId: body.agent_id,
    environment: body.environment,
    status: body.status,
  };
}

const itemStatus = z.enum(['pending', 'running', 'succeeded', 'skipped', 'failed']);
const counts = z.object({
  pending: z.number().int(),
  running: z.number().int(),
  succeeded: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
});
export const bulkOperationSchema = z.object({
  id: z.string(),
  kind: z.enum(['revoke', 'renew', 'reassign']),
  status: z.enum(['running', 'completed']),
  requested_by: z.string(),
  idempotency_key: z.string(),
  criteria: z.record(z.string(), z.unknown()),
  reason: z.string().nullable(),
  changes: z
    .object({
      owner_id: z.string().optional(),
      team_id: z.string().optional(),
      renewal_policy_id: z.string().optional(),
      profile_id: z.string().nullable().optional(),
    })
    .nullable(),
  total: z.number().int().describe('certificates matched when the operation started'),
  counts: counts.describe('items by status; succeeded + skipped + failed = total once completed'),
  created_at: timestamp,
  completed_at: nullableTimestamp,
});
const startedSchema = bulkOperationSchema.extend({
  replayed: z.boolean().describe('true when this request repeated one already started: nothing new was done'),
});

export function bulkOperationRoutes(deps: ServiceDeps, kick: (operationId: string) => void): AnyRouteSpec[] {
  const start = async (actor: Actor, kind: BulkKind, request: BulkRequest) => {
    const { operation, replayed } = await startBulkOperation(deps, actor, kind, request);
    if (operation.status === 'running') kick(operation.id);
    return { ...(await operationView(deps.db, operation)), replayed };
  };
  const accepted = {
    202: {
      description:
        'The operation, started (or found, when the same request was made already); follow it at /api/v1/bulk-operations/{id}',
      schema: startedSchema,
    },
  } as const;
  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/bulk-revoke',
      operationId: 'bulkRevokeCertificates',
      summary: 'Revoke every certificate matching the criteria (one item per certificate)',
      tags: ['bulk-operations'],
      access: 'admin',
      body: z
        .object({
          reason: z.string().max(64).optional().describe('RFC 5280 reason name, default unspecified'),
          ...criteriaFields,
        })
        .strict(),
      responses: accepted,
      handler: ({ actor, body }) =>
        start(actor, 'revoke', {
          criteria: criteriaOf(body),
          reason: body.reason,
          idempotencyKey: body.idempotency_key,
        }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/bulk-renew',
      operationId: 'bulkRenewCertificates',
      summary: 'Queue one renewal (or first issuance) job per matching certificate; approval rules apply',
      tags: ['bulk-operations'],
      access: 'operator',
      body: z.object(criteriaFields).strict(),
      responses: accepted,
      handler: ({ actor, body }) =>
        start(actor, 'renew', { criteria: criteriaOf(body), idempotencyKey: body.idempotency_key }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/bulk-reassign',
      operationId: 'bulkReassignCertificates',
      summary: 'Set owner, team, renewal policy or profile on every matching certificate',
      tags: ['bulk-operations'],
      access: 'operator',
      body: z
        .object({
          ...criteriaFields,
          new_owner_id: resourceId.optional(),
          new_team_id: resourceId.optional(),
          new_renewal_policy_id: resourceId.optional(),
          new_profile_id: resourceId.nullable().optional().describe('null removes the profile'),
        })
        .strict(),
      responses: accepted,
      handler: ({ actor, body }) =>
        start(actor, 'reassign', {
          criteria: criteriaOf(body),
          changes: {
            ownerId: body.new_owner_id,
            teamId: body.new_team_id,
            renewalPolicyId: body.new_renewal_policy_id,
            profileId: body.new_profile_id,
          },
          idempotencyKey: body.idempotency_key,
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/bulk-operations',
      operationId: 'listBulkOperations',
      summary: 'Bulk operations, newest first',
      tags: ['bulk-operations'],
      access: 'viewer',
      query: pageQuery.extend({
        kind: z.enum(['revoke', 'renew', 'reassign']).optional(),
        status: z.enum(['running', 'completed']).optional(),
      }),
      responses: { 200: { description: 'Operations', schema: listOf(bulkOperationSchema) } },
      handler: ({ query }) => listBulkOperations(deps, { kind: query.kind, status: query.status }, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/bulk-operations/{id}',
      operationId: 'getBulkOperation',
      summary: 'A bulk operation and its progress (items by status)',
      tags: ['bulk-operations'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Operation', schema: bulkOperationSchema } },
      handler: ({ params }) => getBulkOperation(deps, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/bulk-operations/{id}/items',
      operationId: 'listBulkOperationItems',
      summary: 'Per-certificate results, in order; for renewals with the live status of each job',
      tags: ['bulk-operations'],
      access: 'viewer',
      params: idParams,
      query: pageQuery.extend({ status: itemStatus.optional() }),
      responses: {
        200: {
          description: 'Items',
          schema: listOf(
            z.object({
              certificate_id: z.string(),
              position: z.number().int(),
              status: itemStatus,
              job_id: z.string().nullable(),
              job_status: jobStatus.nullable(),
              detail: z.string().nullable(),
              updated_at: timestamp,
            }),
          ),
        },
      },
      handler: ({ params, query }) => listBulkItems(deps, params.id, { status: query.status }, pageOf(query)),
    }),
  ];
}
