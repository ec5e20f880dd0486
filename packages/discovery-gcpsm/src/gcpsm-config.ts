/** The GCP Secret Manager discovery source's JSON config (snake_case, keys as in the reference). */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** Label keys and values: lowercase letters, digits, `_` and `-` (keys start with a letter). */
const LABEL_FILTER = /^$|^[a-z][a-z0-9_-]{0,62}=[a-z0-9_-]{0,63}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const gcpSmConfigSchema = z
  .strictObject({
    project: z.string().regex(PROJECT, 'must be a GCP project id such as my-project-123').describe('GCP project id'),
    credentials: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Path to a service account key file (JSON); default Application Default Credentials (workload identity, metadata server, gcloud)',
      ),
    label_filter: z
      .string()
      .regex(LABEL_FILTER, 'must be key=value in lowercase letters, digits, _ and -, or empty for no label filter')
      .default('type=certificate')
      .describe('Only secrets carrying this label (key=value); empty scans every secret the prefix selects'),
    name_prefix: z
      .string()
      .max(255)
      .regex(/^[A-Za-z0-9_-]*$/, 'secret ids hold letters, digits, _ and -')
      .default('')
      .describe('Only secrets whose id starts with this prefix'),
    pkcs12_password: secret(z.string().min(1).max(1024))
      .optional()
      .describe('Password tried on PKCS#12 secrets after the empty password'),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'Secret Manager endpoint override (Private Service Connect, regional endpoint); default secretmanager.googleapis.com',
      ),
    max_secrets: z.int().min(1).max(100_000).default(10_000).describe('Most secrets read in one scan'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each Secret Manager call'),
  })
  .superRefine((config, ctx) => {
    if (config.endpoint) {
      const url = new URL(config.endpoint);
      if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be https (plain http only on loopback)' });
      }
      if (url.pathname !== '/' || url.search) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be a scheme, host and port only' });
      }
    }
  });

export type GcpSmDiscoveryConfig = z.output<typeof gcpSmConfigSchema>;
export type GcpSmDiscoveryConfigInput = z.input<typeof gcpSmConfigSchema>;

/** The reference names, plus the filters, PKCS#12 password and endpoint in the same style. */
export const gcpSmEnvMapping: EnvMapping = {
  CERTCTL_GCP_SM_PROJECT: 'project',
  CERTCTL_GCP_SM_CREDENTIALS: 'credentials',
  CERTCTL_GCP_SM_LABEL_FILTER: 'label_filter',
  CERTCTL_GCP_SM_NAME_PREFIX: 'name_prefix',
  CERTCTL_GCP_SM_PKCS12_PASSWORD: 'pkcs12_password',
  CERTCTL_GCP_SM_ENDPOINT: 'endpoint',
};

/** Secret Manager's list filter for the configured label and prefix (`labels.k=v AND name:prefix`). */
export function listFilter(config: Pick<GcpSmDiscoveryConfig, 'label_filter' | 'name_prefix'>): string {
  const terms: string[] = [];
  if (config.label_filter) {
    const at = config.label_filter.indexOf('=');
    terms.push(`labels.${config.label_filter.slice(0, at)}=${config.label_filter.slice(at + 1)}`);
  }
  if (config.name_prefix) terms.push(`name:${config.name_prefix}`);
  return terms.join(' AND ');
}
