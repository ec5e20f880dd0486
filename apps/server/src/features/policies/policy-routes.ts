import { z } from 'zod';
import { createProfile, deleteProfile, getProfile, listProfiles, updateProfile } from './profiles.js';
import {
  createRenewalPolicy,
  deleteRenewalPolicy,
  getRenewalPolicy,
  listRenewalPolicies,
  updateRenewalPolicy,
} from './renewal-policies.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, listOf, name, pageOf, pageQuery, resourceId } from '../../http/schemas/common.js';
import { keyAlgorithmRuleSchema, profileSchema, renewalPolicySchema } from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';
import { alertRoutingFields } from './alert-routing-fields.js';

const EKUS = ['serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping', 'ocspSigning'] as const;

const profileBody = z
  .object({
    id: resourceId.optional(),
    name,
    description: z.string().max(2000).optional(),
    allowed_key_algorithms: z.array(keyAlgorithmRuleSchema).min(1).optional(),
    max_ttl_seconds: z
      .number()
      .int()
      .min(0)
      .max(20 * 365 * 86_400)
      .optional()
      .describe('0 = the issuer default'),
    allowed_ekus: z.array(z.enum(EKUS)).optional(),
    required_san_patterns: z
      .array(z.string().min(1).max(253))
      .optional()
      .describe('every name must match one; *.example.com matches one label, **.example.com any depth'),
    must_staple: z.boolean().optional(),
    requires_approval: z.boolean().optional(),
    allow_short_lived: z.boolean().optional(),
    enabled: z.boolean().optional(),
    acme_auth_mode: z
      .enum(['trust_authenticated', 'challenge'])
      .optional()
      .describe(
        'ACME server: trust_authenticated (accounts are trusted for any name the profile allows) or challenge (HTTP-01/DNS-01/TLS-ALPN-01 validation)',
      ),
  })
  .strict();

const policyBody = z
  .object({
    id: resourceId.optional(),
    name,
    renewal_window_days: z.number().int().min(1).max(365).optional(),
    auto_renew: z.boolean().optional(),
    max_retries: z.number().int().min(0).max(20).optional(),
    retry_interval_seconds: z.number().int().min(1).max(86_400).optional(),
    alert_thresholds_days: z.array(z.number().int().min(0).max(365)).max(20).optional(),
    ...alertRoutingFields,
  })
  .strict();

export function policyRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/profiles',
      operationId: 'listProfiles',
      summary: 'List certificate profiles',
      tags: ['profiles'],
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Profiles', schema: listOf(profileSchema) } },
      handler: ({ query }) => listProfiles(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/profiles',
      operationId: 'createProfile',
      summary: 'Create a certificate profile',
      tags: ['profiles'],
      access: 'operator',
      body: profileBody,
      responses: { 201: { description: 'Created', schema: profileSchema } },
      handler: ({ actor, body }) => createProfile(deps, actor, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/profiles/{id}',
      operationId: 'getProfile',
      summary: 'Get a profile',
      tags: ['profiles'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Profile', schema: profileSchema } },
      handler: ({ params }) => getProfile(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/profiles/{id}',
      operationId: 'updateProfile',
      summary: 'Update a profile',
      tags: ['profiles'],
      access: 'operator',
      params: idParams,
      body: profileBody.omit({ id: true }).partial(),
      responses: { 200: { description: 'Updated', schema: profileSchema } },
      handler: ({ actor, params, body }) => updateProfile(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/profiles/{id}',
      operationId: 'deleteProfile',
      summary: 'Delete a profile',
      tags: ['profiles'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteProfile(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/renewal-policies',
      operationId: 'listRenewalPolicies',
      summary: 'List renewal policies',
      tags: ['renewal policies'],
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: 'Policies', schema: listOf(renewalPolicySchema) } },
      handler: ({ query }) => listRenewalPolicies(deps, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/renewal-policies',
      operationId: 'createRenewalPolicy',
      summary: 'Create a renewal policy',
      tags: ['renewal policies'],
      access: 'operator',
      body: policyBody,
      responses: { 201: { description: 'Created', schema: renewalPolicySchema } },
      handler: ({ actor, body }) => createRenewalPolicy(deps, actor, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/renewal-policies/{id}',
      operationId: 'getRenewalPolicy',
      summary: 'Get a renewal policy',
      tags: ['renewal policies'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Policy', schema: renewalPolicySchema } },
      handler: ({ params }) => getRenewalPolicy(deps, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/renewal-policies/{id}',
      operationId: 'updateRenewalPolicy',
      summary: 'Update a renewal policy',
      tags: ['renewal policies'],
      access: 'operator',
      params: idParams,
      body: policyBody.omit({ id: true }).partial(),
      responses: { 200: { description: 'Updated', schema: renewalPolicySchema } },
      handler: ({ actor, params, body }) => updateRenewalPolicy(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/renewal-policies/{id}',
      operationId: 'deleteRenewalPolicy',
      summary: 'Delete a renewal policy',
      tags: ['renewal policies'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteRenewalPolicy(deps, actor, params.id),
    }),
  ];
}
