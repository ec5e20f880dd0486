/** The AWS ACM target's JSON config (snake_case, keys as in the reference). No credentials: the SDK's default chain. */
import { z } from 'zod';

export const PROVENANCE_MANAGED_BY = 'certctl-managed-by';
export const PROVENANCE_CERTIFICATE_ID = 'certctl-certificate-id';
const RESERVED_TAGS = [PROVENANCE_MANAGED_BY, PROVENANCE_CERTIFICATE_ID];
/** ACM allows 50 tags per certificate; two are ours. */
const MAX_OPERATOR_TAGS = 48;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
export const ACM_CERTIFICATE_ARN =
  /^arn:aws[a-z-]*:acm:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):\d{12}:certificate\/[0-9a-f-]{36}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const awsAcmConfigSchema = z
  .strictObject({
    region: z
      .string()
      .regex(REGION, 'must be an AWS region such as us-east-1')
      .describe(
        'AWS region of the ACM endpoint. CloudFront needs us-east-1; ALB and API Gateway use the load balancer’s region',
      ),
    certificate_arn: z
      .string()
      .regex(ACM_CERTIFICATE_ARN, 'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)')
      .optional()
      .describe(
        'ARN of the imported certificate to re-import into. Empty on the first deploy: the target imports a new certificate and reports its ARN (pin it here afterwards)',
      ),
    tags: z
      .record(
        z
          .string()
          .min(1)
          .max(128)
          .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, 'letters, digits, spaces and _ . : / = + - @ only'),
        z
          .string()
          .max(256)
          .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'letters, digits, spaces and _ . : / = + - @ only'),
      )
      .default({})
      .describe(
        'Tags set on the certificate at each import; certctl-managed-by and certctl-certificate-id are added and cannot be overridden',
      ),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('ACM endpoint override (VPC interface endpoint, FIPS endpoint); default the regional endpoint'),
    max_attempts: z.int().min(1).max(10).default(3).describe('Attempts per ACM call (throttling and 5xx are retried)'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each ACM request'),
  })
  .superRefine((config, ctx) => {
    const arnRegion = config.certificate_arn ? ACM_CERTIFICATE_ARN.exec(config.certificate_arn)?.[1] : undefined;
    if (arnRegion && arnRegion !== config.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificate_arn'],
        message: `is in region ${arnRegion}, not in region ${config.region}`,
      });
    }
    const keys = Object.keys(config.tags);
    for (const key of keys) {
      if (RESERVED_TAGS.includes(key) || key.toLowerCase().startsWith('aws:')) {
        ctx.addIssue({ code: 'custom', path: ['tags', key], message: 'is reserved (certctl- provenance or aws:)' });
      }
    }
    if (keys.length > MAX_OPERATOR_TAGS) {
      ctx.addIssue({ code: 'custom', path: ['tags'], message: `at most ${MAX_OPERATOR_TAGS} tags (ACM allows 50)` });
    }
    if (config.endpoint) {
      const url = new URL(config.endpoint);
      if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be https (plain http only on loopback)' });
      }
    }
  });

export type AwsAcmTargetConfig = z.output<typeof awsAcmConfigSchema>;
export type AwsAcmTargetConfigInput = z.input<typeof awsAcmConfigSchema>;
