import { z } from 'zod';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, timestamp } from '../../http/schemas/common.js';
import { importFromIssuer } from './issuer-import.js';

const importBody = z
  .object({
    dry_run: z.boolean().default(true).describe('Only report what would be imported and skipped (the default)'),
    include_expired: z.boolean().default(false).describe('Also import certificates that have expired'),
    products: z.array(z.string().min(1).max(128)).max(50).optional().describe('Only these CA products'),
    domains: z
      .array(z.string().min(1).max(253))
      .max(100)
      .optional()
      .describe('Only certificates with a name equal to or below one of these domains'),
    limit: z.int().min(1).max(10_000).default(1000).describe('Read at most this many entries from the CA'),
    owner_id: z.string().min(1).optional().describe('Owner of the imported certificates (required unless dry_run)'),
    team_id: z.string().min(1).optional().describe('Team of the imported certificates (required unless dry_run)'),
    renewal_policy_id: z.string().min(1).optional().describe('Renewal policy (required unless dry_run)'),
    profile_id: z.string().min(1).nullable().optional(),
    agent_id: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe('Agent that makes the key and CSR when they are renewed'),
    environment: z.string().max(64).optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const candidate = z.object({
  order_id: z.string().nullable().describe("The CA's order id"),
  common_name: z.string(),
  sans: z.array(z.string()),
  serial: z.string(),
  not_after: timestamp,
  product: z.string().nullable(),
  certificate_id: z.string().optional().describe('The managed certificate (imported, or already managed)'),
});

const importResult = z.object({
  issuer_id: z.string(),
  dry_run: z.boolean(),
  scanned: z.int(),
  imported: z.array(candidate).describe('Imported, or with dry_run: would be imported'),
  skipped: z.array(
    candidate.partial().extend({
      reason: z.enum([
        'already_managed',
        'expired',
        'product_filtered',
        'domain_filtered',
        'unparseable',
        'duplicate_in_listing',
        'policy_violation',
      ]),
      detail: z.string(),
    }),
  ),
});

export function issuerImportRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/issuers/{id}/import',
      operationId: 'importIssuerCertificates',
      summary:
        "Import the certificates and orders the issuer's CA already holds as managed certificates (dry run by default)",
      tags: ['issuers'],
      access: 'admin',
      params: idParams,
      body: importBody,
      responses: { 200: { description: 'What was (or would be) imported and skipped', schema: importResult } },
      handler: ({ actor, params, body }) =>
        importFromIssuer(deps, actor, params.id, {
          dryRun: body.dry_run,
          includeExpired: body.include_expired,
          products: body.products,
          domains: body.domains,
          limit: body.limit,
          ownerId: body.owner_id,
          teamId: body.team_id,
          renewalPolicyId: body.renewal_policy_id,
          profileId: body.profile_id,
          agentId: body.agent_id,
          environment: body.environment,
          tags: body.tags,
        }),
    }),
  ];
}
