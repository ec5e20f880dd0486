import { deployMetadata } from '@certctl/wire';
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
import { jobSchema, jobStatus } from '../../http/schemas/entities.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { deployNow, jobVerification, listDeployments } from './deployments.js';

const verificationStatus = z
  .enum(['pending', 'not_configured', 'verified', 'failed'])
  .describe(
    'pending: the deployment has not finished; not_configured: finished without a check (the target names no post_deploy_verify endpoint); verified: the endpoint serves the deployed certificate; failed: it does not, or the handshake failed',
  );

const deploymentRecord = z.object({
  job_id: z.string(),
  certificate_id: z.string(),
  certificate_name: z.string(),
  target_id: z.string().nullable(),
  target_name: z.string().nullable(),
  target_type: z.string().nullable(),
  agent_id: z.string().nullable(),
  status: jobStatus,
  trigger: z.string().describe('manual (POST …/deploy), issued (after an issuance or renewal)'),
  requested_by: z.string(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  version_id: z.string().nullable(),
  serial: z.string().nullable(),
  fingerprint_sha256: z.string().nullable(),
  verification_status: verificationStatus,
  deploy_metadata: deployMetadata
    .nullable()
    .describe(
      'what the target reported about the deployment, e.g. the ACM certificate_arn or the Key Vault certificate id and version (null: nothing)',
    ),
  created_at: timestamp,
  started_at: nullableTimestamp,
  completed_at: nullableTimestamp,
});

export function deploymentRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/{id}/deploy',
      operationId: 'deployCertificate',
      summary: 'Deploy the current version again to all bound targets, or to the chosen ones (no renewal)',
      tags: ['deployments'],
      access: 'operator',
      params: idParams,
      body: z
        .object({
          target_ids: z
            .array(resourceId)
            .max(100)
            .optional()
            .describe('targets bound to the certificate; default all of them'),
        })
        .strict(),
      responses: {
        202: {
          description: 'Deployment jobs queued; targets with one already open are skipped',
          schema: z.object({
            certificate_id: z.string(),
            version_id: z.string(),
            serial: z.string(),
            deployment_jobs: z.array(jobSchema),
            skipped: z.array(z.object({ target_id: z.string(), reason: z.string() })),
          }),
        },
      },
      handler: ({ actor, params, body }) => deployNow(deps, actor, params.id, body.target_ids),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/certificates/{id}/deployments',
      operationId: 'listCertificateDeployments',
      summary: "The certificate's deployments, newest first, with the version each one carried",
      tags: ['deployments'],
      access: 'viewer',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Deployments', schema: listOf(deploymentRecord) } },
      handler: ({ params, query }) => listDeployments(deps, { certificateId: params.id }, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/targets/{id}/deployments',
      operationId: 'listTargetDeployments',
      summary: 'Deployments to the target, newest first',
      tags: ['deployments'],
      access: 'viewer',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: 'Deployments', schema: listOf(deploymentRecord) } },
      handler: ({ params, query }) => listDeployments(deps, { targetId: params.id }, pageOf(query)),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/jobs/{id}/verification',
      operationId: 'getJobVerification',
      summary:
        "What the agent verified after the deployment (TLS handshake to the target's endpoint, served fingerprint)",
      tags: ['deployments'],
      access: 'viewer',
      params: idParams,
      responses: {
        200: {
          description: 'Verification',
          schema: z.object({
            job_id: z.string(),
            certificate_id: z.string(),
            target_id: z.string().nullable(),
            job_status: jobStatus,
            status: verificationStatus,
            endpoint: z.string().nullable(),
            expected_fingerprint: z.string().nullable().describe('SHA-256 of the deployed leaf, hex'),
            actual_fingerprint: z.string().nullable().describe('SHA-256 of the leaf the endpoint served, hex'),
            verified: z.boolean().nullable(),
            detail: z.string().nullable(),
            verified_at: z.string().nullable(),
          }),
        },
        409: { description: 'Not a deployment job' },
      },
      handler: ({ params }) => jobVerification(deps, params.id),
    }),
  ];
}
