/** The Sectigo issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

export const sectigoConfigSchema = z.strictObject({
  customer_uri: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'the customer URI from the SCM login URL, e.g. acme-corp')
    .describe('SCM customer URI (the organization part of the cert-manager.com login URL), sent as customerUri'),
  login: secret(z.string().min(1).max(128)).describe('SCM API account login, sent as login'),
  password: secret(z.string().min(1).max(256)).describe('SCM API account password, sent as password'),
  org_id: z.int().positive().describe('SCM organization (or department) id the certificates are enrolled for'),
  cert_type: z.int().positive().describe('SSL certificate type id (GET /ssl/v1/types)'),
  term: z.int().min(1).max(3650).default(365).describe('Certificate term in days; must be one the cert type allows'),
  base_url: z
    .url({ protocol: /^https$/ })
    .default('https://cert-manager.com/api')
    .describe('SCM REST base URL (https://hard.cert-manager.com/api for the Hard instance)'),
  poll_max_wait_seconds: z
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(600)
    .describe(
      'How long an enrollment may stay pending (validation, approval, collect not ready) before certctl gives up',
    ),
  issue_wait_seconds: z
    .int()
    .min(0)
    .max(240)
    .default(30)
    .describe('How long issue polls collect before handing the enrollment to the server as pending'),
  ca_bundle_path: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM bundle trusted for the API's TLS certificate (a TLS-inspecting proxy); also allows a private base_url host",
    ),
  request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each API call'),
});

export type SectigoIssuerConfig = z.output<typeof sectigoConfigSchema>;
export type SectigoIssuerConfigInput = z.input<typeof sectigoConfigSchema>;

/** The reference names, plus two in the same style (issuer-sectigo.md). */
export const sectigoEnvMapping: EnvMapping = {
  CERTCTL_SECTIGO_CUSTOMER_URI: 'customer_uri',
  CERTCTL_SECTIGO_LOGIN: 'login',
  CERTCTL_SECTIGO_PASSWORD: 'password',
  CERTCTL_SECTIGO_ORG_ID: 'org_id',
  CERTCTL_SECTIGO_CERT_TYPE: 'cert_type',
  CERTCTL_SECTIGO_TERM: 'term',
  CERTCTL_SECTIGO_BASE_URL: 'base_url',
  CERTCTL_SECTIGO_POLL_MAX_WAIT_SECONDS: 'poll_max_wait_seconds',
  // In the same style: a proxy's CA bundle and the inline wait of issue.
  CERTCTL_SECTIGO_CA_BUNDLE_PATH: 'ca_bundle_path',
  CERTCTL_SECTIGO_ISSUE_WAIT_SECONDS: 'issue_wait_seconds',
};
