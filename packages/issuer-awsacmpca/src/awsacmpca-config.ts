/** The AWS Private CA issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import type { EnvMapping } from '@certctl/core';
import { z } from 'zod';

export const SIGNING_ALGORITHMS = [
  'SHA256WITHRSA',
  'SHA384WITHRSA',
  'SHA512WITHRSA',
  'SHA256WITHECDSA',
  'SHA384WITHECDSA',
  'SHA512WITHECDSA',
] as const;

const CA_ARN = /^arn:aws[a-z-]*:acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority\/[0-9a-f-]{36}$/;
export const TEMPLATE_ARN = /^arn:aws[a-z-]*:acm-pca:::template\/[A-Za-z0-9_]+\/V\d+$/;

export const awsAcmPcaConfigSchema = z
  .strictObject({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1')
      .describe('AWS region of the private CA, e.g. us-east-1'),
    ca_arn: z
      .string()
      .regex(CA_ARN, 'arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>')
      .describe('ARN of the private CA that signs'),
    signing_algorithm: z
      .enum(SIGNING_ALGORITHMS)
      .default('SHA256WITHRSA')
      .describe("Signing algorithm; it must fit the CA's key (RSA or ECDSA)"),
    validity_days: z
      .int()
      .min(1)
      .max(36_500)
      .default(365)
      .describe("Certificate validity in days; a profile's max TTL lowers it"),
    template_arn: z
      .string()
      .regex(TEMPLATE_ARN, 'arn:aws:acm-pca:::template/<name>/V<n>')
      .optional()
      .describe('Certificate template ARN, e.g. arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1'),
    endpoint_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('ACM PCA endpoint instead of the regional one (a VPC interface endpoint, FIPS)'),
    poll_max_wait_seconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(300)
      .describe('How long issue waits for GetCertificate before it hands back a pending order'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to ACM PCA'),
  })
  .superRefine((config, check) => {
    const arnRegion = CA_ARN.exec(config.ca_arn)?.[1];
    if (arnRegion && arnRegion !== config.region) {
      check.addIssue({
        code: 'custom',
        path: ['ca_arn'],
        message: `the CA lives in ${arnRegion} but region is ${config.region}; set region to ${arnRegion}`,
      });
    }
  });

export type AwsAcmPcaIssuerConfig = z.output<typeof awsAcmPcaConfigSchema>;

/** The reference names, plus the endpoint and poll wait in the same style. */
export const awsAcmPcaEnvMapping: EnvMapping = {
  CERTCTL_AWS_PCA_REGION: 'region',
  CERTCTL_AWS_PCA_CA_ARN: 'ca_arn',
  CERTCTL_AWS_PCA_SIGNING_ALGORITHM: 'signing_algorithm',
  CERTCTL_AWS_PCA_VALIDITY_DAYS: 'validity_days',
  CERTCTL_AWS_PCA_TEMPLATE_ARN: 'template_arn',
  CERTCTL_AWS_PCA_ENDPOINT_URL: 'endpoint_url',
  CERTCTL_AWS_PCA_POLL_MAX_WAIT_SECONDS: 'poll_max_wait_seconds',
};
