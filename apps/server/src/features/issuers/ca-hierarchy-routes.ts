import type { CaNameConstraints } from '@certctl/core';
import { z } from 'zod';
import {
  type CreateIntermediateInput,
  createIntermediate,
  getIntermediate,
  listIntermediates,
  retireIntermediate,
  setIssuingIntermediate,
} from './ca-hierarchy.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, timestamp } from '../../http/schemas/common.js';
import { fromWire } from '../../http/wire-format.js';

const dnsList = z.array(z.string().min(1).max(253)).max(100);
const cidrList = z.array(z.string().min(3).max(49)).max(100);

const nameConstraints = z
  .object({
    permitted_dns: dnsList.optional(),
    excluded_dns: dnsList.optional(),
    permitted_ip: cidrList.optional().describe('CIDR ranges, e.g. 10.0.0.0/8'),
    excluded_ip: cidrList.optional(),
    permitted_email: dnsList.optional(),
    excluded_email: dnsList.optional(),
  })
  .strict();

const caSchema = z
  .object({
    id: z.string(),
    parent_id: z.string().nullable(),
    name: z.string(),
    subject: z.string(),
    state: z.enum(['active', 'retiring', 'retired']),
    issuing: z.boolean(),
    certificate_pem: z.string(),
    serial: z.string(),
    not_before: timestamp,
    not_after: timestamp,
    path_length: z.number().int().optional(),
    name_constraints: nameConstraints.optional(),
  })
  .meta({ id: 'IntermediateCa' });

const createBody = z
  .object({
    parent_id: z.string().min(1).max(64).optional().describe('parent CA id; default the top of the tree ("root")'),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    common_name: z.string().trim().min(1).max(64),
    organization: z.string().trim().min(1).max(64).optional(),
    key_algorithm: z.enum(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519']).optional(),
    validity_days: z.number().int().min(1).max(36_500),
    path_length: z.number().int().min(0).max(16).optional(),
    name_constraints: nameConstraints.optional(),
    issuing: z.boolean().optional().describe('make it the CA that signs leaves'),
  })
  .strict();

/** fromWire converts top-level keys only; the constraint lists are one level down. */
function createInput(body: z.infer<typeof createBody>): CreateIntermediateInput {
  const { name_constraints: constraints, ...rest } = body;
  return {
    ...fromWire<Omit<CreateIntermediateInput, 'nameConstraints'>>(rest),
    ...(constraints && { nameConstraints: fromWire<CaNameConstraints>(constraints) }),
  };
}

const caParams = idParams.extend({ ca_id: z.string().min(1).max(64) });

/** The CA tree of an issuer (admin only): create intermediates, choose the issuing CA, drain and retire. */
export function caHierarchyRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/issuers/{id}/intermediates',
      operationId: 'listIntermediateCas',
      summary: "The issuer's CA tree, top first",
      tags: ['ca hierarchy'],
      access: 'admin',
      params: idParams,
      responses: { 200: { description: 'CAs', schema: z.object({ data: z.array(caSchema) }) } },
      handler: async ({ params }) => ({ data: await listIntermediates(deps, params.id) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/issuers/{id}/intermediates',
      operationId: 'createIntermediateCa',
      summary: 'Create an intermediate CA below the top or another CA (path length and name constraints enforced)',
      tags: ['ca hierarchy'],
      access: 'admin',
      params: idParams,
      body: createBody,
      responses: { 201: { description: 'Created', schema: caSchema } },
      handler: ({ actor, params, body }) => createIntermediate(deps, actor, params.id, createInput(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/issuers/{id}/intermediates/{ca_id}',
      operationId: 'getIntermediateCa',
      summary: 'One CA of the tree',
      tags: ['ca hierarchy'],
      access: 'admin',
      params: caParams,
      responses: { 200: { description: 'CA', schema: caSchema } },
      handler: ({ params }) => getIntermediate(deps, params.id, params.ca_id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/issuers/{id}/intermediates/{ca_id}/issuing',
      operationId: 'setIssuingCa',
      summary: 'Make an active CA the one that signs leaves',
      tags: ['ca hierarchy'],
      access: 'admin',
      params: caParams,
      responses: { 200: { description: 'CA', schema: caSchema } },
      handler: ({ actor, params }) => setIssuingIntermediate(deps, actor, params.id, params.ca_id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/issuers/{id}/intermediates/{ca_id}/retire',
      operationId: 'retireIntermediateCa',
      summary:
        'Drain a CA (state retiring: it issues nothing new), then retire it (state retired: refused while certificates it issued are valid; its key is destroyed)',
      tags: ['ca hierarchy'],
      access: 'admin',
      params: caParams,
      body: z.object({ state: z.enum(['retiring', 'retired']).default('retiring') }).strict(),
      responses: { 200: { description: 'CA', schema: caSchema } },
      handler: ({ actor, params, body }) => retireIntermediate(deps, actor, params.id, params.ca_id, body.state),
    }),
  ];
}
