/** The AWS Secrets Manager discovery source's JSON config (snake_case, keys as in the reference). No AWS keys: the SDK's default chain. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** `key=value` (a value may contain `=`); an empty string turns the tag filter off. */
const TAG_FILTER = /^$|^[\p{L}\p{Z}\p{N}_.:/+\-@]{1,128}=[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

export const awsSmConfigSchema = z
  .strictObject({
    region: z.string().regex(REGION, 'must be an AWS region such as us-east-1').describe('AWS region of the secrets'),
    tag_filter: z
      .string()
      .regex(TAG_FILTER, 'must be key=value (letters, digits, spaces and _ . : / + - @), or empty for no tag filter')
      .default('type=certificate')
      .describe('Only secrets carrying this tag (key=value, exact match); empty scans every secret the prefix selects'),
    name_prefix: z
      .string()
      .max(512)
      .regex(/^[A-Za-z0-9/_+=.@-]*$/, 'secret names hold letters, digits and / _ + = . @ -')
      .default('')
      .describe('Only secrets whose name starts with this prefix (case-sensitive)'),
    pkcs12_password: secret(z.string().min(1).max(1024))
      .optional()
      .describe('Password tried on PKCS#12 secrets after the empty password'),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'Secrets Manager endpoint override (VPC interface endpoint, FIPS endpoint); default the regional endpoint',
      ),
    max_secrets: z.int().min(1).max(100_000).default(10_000).describe('Most secrets read in one scan'),
    max_attempts: z.int().min(1).max(10).default(3).describe('Attempts per AWS call (throttling and 5xx are retried)'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each AWS request'),
  })
  .superRefine((config, ctx) => {
    if (config.endpoint) {
      const url = new URL(config.endpoint);
      if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be https (plain http only on loopback)' });
      }
    }
  });

export type AwsSmDiscoveryConfig = z.output<typeof awsSmConfigSchema>;
export type AwsSmDiscoveryConfigInput = z.input<typeof awsSmConfigSchema>;

/** The reference names, plus the PKCS#12 password and endpoint in the same style. */
export const awsSmEnvMapping: EnvMapping = {
  CERTCTL_AWS_SM_REGION: 'region',
  CERTCTL_AWS_SM_TAG_FILTER: 'tag_filter',
  CERTCTL_AWS_SM_NAME_PREFIX: 'name_prefix',
  CERTCTL_AWS_SM_PKCS12_PASSWORD: 'pkcs12_password',
  CERTCTL_AWS_SM_ENDPOINT: 'endpoint',
};

/** The tag filter as key and value, or undefined when off. */
export function parseTagFilter(filter: string): { key: string; value: string } | undefined {
  if (filter === '') return undefined;
  const at = filter.indexOf('=');
  return { key: filter.slice(0, at), value: filter.slice(at + 1) };
}
