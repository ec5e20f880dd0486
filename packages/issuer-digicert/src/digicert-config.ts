/** The DigiCert issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

/** A CertCentral product `name_id` (`ssl_basic`, `ssl_plus`, `ssl_ev_basic` ...). */
export const PRODUCT_NAME_ID = /^[a-z0-9_]{2,64}$/;

export const digicertConfigSchema = z.strictObject({
  api_key: secret(z.string().min(16).max(512)).describe('CertCentral API key, sent as X-DC-DEVKEY'),
  org_id: z.int().positive().describe('CertCentral organization id the certificates are ordered for'),
  product_type: z
    .string()
    .regex(PRODUCT_NAME_ID, 'a CertCentral product name_id such as ssl_basic')
    .default('ssl_basic')
    .describe('Product ordered (ssl_basic, ssl_plus, ssl_ev_basic ...); a request profile names another'),
  base_url: z
    .url({ protocol: /^https$/ })
    .default('https://www.digicert.com/services/v2')
    .describe('Services API base URL (https://www.digicert.eu/services/v2 for the EU instance)'),
  validity_days: z
    .int()
    .min(1)
    .max(397)
    .default(199)
    .describe("Validity ordered, in days; a profile's max TTL lowers it"),
  poll_max_wait_seconds: z
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(600)
    .describe('How long an order may stay pending (validation, approval) before certctl gives up on it'),
  issue_wait_seconds: z
    .int()
    .min(0)
    .max(240)
    .default(30)
    .describe('How long issue waits for the order before handing it to the server as pending'),
  skip_approval: z
    .boolean()
    .default(true)
    .describe("Skip CertCentral's own request approval step (needs an administrator's key)"),
  ca_bundle_path: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM bundle trusted for the API's TLS certificate (a TLS-inspecting proxy); also allows a private base_url host",
    ),
  request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each API call'),
});

export type DigicertIssuerConfig = z.output<typeof digicertConfigSchema>;
export type DigicertIssuerConfigInput = z.input<typeof digicertConfigSchema>;

/** The reference names, plus two in the same style (connectors-reference.md, DigiCert rows). */
export const digicertEnvMapping: EnvMapping = {
  CERTCTL_DIGICERT_API_KEY: 'api_key',
  CERTCTL_DIGICERT_ORG_ID: 'org_id',
  CERTCTL_DIGICERT_PRODUCT_TYPE: 'product_type',
  CERTCTL_DIGICERT_BASE_URL: 'base_url',
  CERTCTL_DIGICERT_POLL_MAX_WAIT_SECONDS: 'poll_max_wait_seconds',
  // In the same style: a proxy's CA bundle and the inline wait of issue.
  CERTCTL_DIGICERT_CA_BUNDLE_PATH: 'ca_bundle_path',
  CERTCTL_DIGICERT_ISSUE_WAIT_SECONDS: 'issue_wait_seconds',
};
