import { z } from 'zod';
import { idempotent } from '../../http/idempotency.js';
import {
  archiveCertificate,
  exportPem,
  exportPkcs12,
  getCertificate,
  listCertificates,
  listVersions,
  updateCertificate,
} from './certificates.js';
import { withCaOrders } from './certificate-ca-orders.js';
import { createCertificate, renewNow, submitCsr } from '../issuance/issuance-requests.js';
import { jobView } from '../issuance/jobs.js';
import { revokeCertificate } from './revocation.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, listOf, name, pageOf, pageQuery, resourceId, pemText } from '../../http/schemas/common.js';
import {
  certificateSchema,
  certificateStatus,
  jobSchema,
  revocationSchema,
  versionSchema,
} from '../../http/schemas/entities.js';
import { fromWire } from '../../http/wire-format.js';

const ref = resourceId;
const tags = z.record(z.string().max(128), z.string().max(512));
const certificateBody = z
  .object({
    id: ref.optional(),
    name,
    common_name: z.string().trim().min(1).max(253),
    sans: z.array(z.string().min(1).max(253)).max(100).optional(),
    environment: z.string().max(64).optional(),
    tags: tags.optional(),
    owner_id: ref,
    team_id: ref,
    issuer_id: ref,
    profile_id: ref.nullable().optional(),
    renewal_policy_id: ref,
    agent_id: ref.nullable().optional().describe('the agent that generates the key and submits CSRs'),
    target_ids: z.array(ref).max(100).optional(),
    csr_pem: pemText.optional().describe('issue now from this CSR (server-side signing)'),
    issue_now: z.boolean().optional().describe('queue issuance at creation (default: when a CSR or an agent is given)'),
  })
  .strict();

const updateBody = certificateBody
  .omit({ id: true, common_name: true, issuer_id: true, csr_pem: true, issue_now: true })
  .partial();
const reasonBody = z
  .object({ reason: z.string().max(64).optional().describe('RFC 5280 reason name, default unspecified') })
  .strict();

const listQuery = pageQuery.extend({
  status: certificateStatus.optional(),
  owner_id: z.string().optional(),
  team_id: z.string().optional(),
  issuer_id: z.string().optional(),
  profile_id: z.string().optional(),
  agent_id: z.string().optional(),
  environment: z.string().optional(),
  expires_before: z.coerce.date().optional(),
  expires_after: z.coerce.date().optional(),
  tag: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('key=value; repeat for several'),
  enrollment_source: z.string().optional().describe('est, scep, ... (protocol enrolments)'),
  enrollment_profile: z.string().optional().describe('EST or SCEP profile that admitted the certificate'),
  include_archived: z.enum(['true', 'false']).optional(),
});

function parseTags(tag: string | string[] | undefined): Record<string, string> | undefined {
  if (tag === undefined) return undefined;
  const pairs = (Array.isArray(tag) ? tag : [tag]).map((t) => {
    const at = t.indexOf('=');
    if (at <= 0) throw new z.ZodError([{ code: 'custom', path: ['tag'], message: 'expected key=value', input: t }]);
    return [t.slice(0, at), t.slice(at + 1)] as const;
  });
  return Object.fromEntries(pairs);
}

export function certificateRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/certificates',
      operationId: 'listCertificates',
      summary: 'List managed certificates with filters',
      tags: ['certificates'],
      access: 'viewer',
      query: listQuery,
      responses: { 200: { description: 'Certificates', schema: listOf(certificateSchema) } },
      handler: async ({ query }) => {
        const page = await listCertificates(
          deps,
          {
            status: query.status,
            ownerId: query.owner_id,
            teamId: query.team_id,
            issuerId: query.issuer_id,
            profileId: query.profile_id,
            agentId: query.agent_id,
            environment: query.environment,
            expiresBefore: query.expires_before,
            expiresAfter: query.expires_after,
            tags: parseTags(query.tag),
            enrollmentSource: query.enrollment_source,
            enrollmentProfile: query.enrollment_profile,
            includeArchived: query.include_archived === 'true',
          },
          pageOf(query),
        );
        return { ...page, data: await withCaOrders(deps.db, page.data) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates',
      operationId: 'createCertificate',
      summary: 'Create a managed certificate; with csr_pem (or an agent) its issuance is queued',
      tags: ['certificates'],
      access: 'operator',
      body: certificateBody,
      responses: { 201: { description: 'Created', schema: certificateSchema.extend({ job: jobSchema.optional() }) } },
      // A client whose request was cut off retries with the same Idempotency-Key and gets the same answer.
      handler: ({ actor, body, request, reply }) =>
        idempotent({
          deps,
          actor,
          request,
          reply,
          operation: 'createCertificate',
          body,
          status: 201,
          run: async () => {
            const created = await createCertificate(deps, actor, fromWire(body));
            return { ...created.certificate, job: created.job ? jobView(created.job) : undefined };
          },
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/certificates/{id}',
      operationId: 'getCertificate',
      summary: 'Get a certificate',
      tags: ['certificates'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Certificate', schema: certificateSchema } },
      handler: async ({ params }) => (await withCaOrders(deps.db, [await getCertificate(deps.db, params.id)]))[0]!,
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/certificates/{id}',
      operationId: 'updateCertificate',
      summary: 'Update a certificate record (names apply from the next issuance)',
      tags: ['certificates'],
      access: 'operator',
      params: idParams,
      body: updateBody,
      responses: { 200: { description: 'Updated', schema: certificateSchema } },
      handler: ({ actor, params, body }) => updateCertificate(deps, actor, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/certificates/{id}',
      operationId: 'archiveCertificate',
      summary: 'Archive a certificate (kept for the audit trail)',
      tags: ['certificates'],
      access: 'operator',
      params: idParams,
      responses: { 204: { description: 'Archived' } },
      handler: ({ actor, params }) => archiveCertificate(deps, actor, params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/certificates/{id}/versions',
      operationId: 'listCertificateVersions',
      summary: 'Issued versions, newest first',
      tags: ['certificates'],
      access: 'viewer',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Versions', schema: listOf(versionSchema) } },
      handler: ({ params, query }) => listVersions(deps, params.id, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/{id}/csr',
      operationId: 'submitCertificateCsr',
      summary: 'Submit a CSR: fills a job waiting for one, or queues issuance',
      tags: ['certificates'],
      access: 'operator',
      params: idParams,
      body: z.object({ csr_pem: pemText }).strict(),
      responses: { 202: { description: 'Queued', schema: jobSchema } },
      handler: async ({ actor, params, body }) => jobView(await submitCsr(deps, actor, params.id, body.csr_pem)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/{id}/renew',
      operationId: 'renewCertificate',
      summary: 'Issue or renew now (honours approval)',
      tags: ['certificates'],
      access: 'operator',
      params: idParams,
      responses: { 202: { description: 'Queued', schema: jobSchema } },
      handler: async ({ actor, params }) => jobView(await renewNow(deps, actor, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/{id}/revoke',
      operationId: 'revokeCertificate',
      summary: 'Revoke with an RFC 5280 reason',
      tags: ['certificates'],
      access: 'operator',
      params: idParams,
      body: reasonBody,
      responses: { 200: { description: 'Revoked', schema: revocationSchema } },
      handler: async ({ actor, params, body }) =>
        (await revokeCertificate(deps, actor, params.id, body.reason)).revocation,
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/certificates/{id}/export/pem',
      operationId: 'exportCertificatePem',
      summary: 'Leaf and chain as PEM (no private key: the server never has it)',
      tags: ['certificates'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'PEM bundle', contentType: 'application/pem-certificate-chain' } },
      handler: async ({ actor, params, reply }) => {
        const pem = await exportPem(deps, actor, params.id);
        reply
          .type('application/pem-certificate-chain')
          .header('content-disposition', `attachment; filename="${params.id}.pem"`);
        return pem.certificatePem + pem.chainPem;
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/{id}/export/pkcs12',
      operationId: 'exportCertificatePkcs12',
      summary: 'Certificate and chain as PKCS#12 (AES-256, no private key)',
      tags: ['certificates'],
      access: 'viewer',
      params: idParams,
      body: z.object({ password: z.string().min(4).max(256) }).strict(),
      responses: { 200: { description: 'PKCS#12 file', contentType: 'application/pkcs12' } },
      handler: async ({ actor, params, body, reply }) => {
        const p12 = await exportPkcs12(deps, actor, params.id, body.password);
        reply.type('application/pkcs12').header('content-disposition', `attachment; filename="${params.id}.p12"`);
        return Buffer.from(p12);
      },
    }),
  ];
}
