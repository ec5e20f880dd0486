/** The EJBCA issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

/** What EJBCA accepts in a username (letters, digits and `_ . @ -` and spaces). */
export const EJBCA_USERNAME = /^[\w.@ -]{1,250}$/;

export const ejbcaConfigSchema = z
  .strictObject({
    api_url: z
      .url({ protocol: /^https$/ })
      .describe('EJBCA REST API base URL, e.g. https://ejbca.internal/ejbca/ejbca-rest-api'),
    auth_mode: z
      .enum(['mtls', 'oauth2'])
      .default('mtls')
      .describe('mtls: a client certificate of an EJBCA administrator; oauth2: a bearer token'),
    client_cert_path: z.string().min(1).optional().describe('Client certificate PEM (mtls); reloaded when it changes'),
    client_key_path: z.string().min(1).optional().describe('Private key PEM of the client certificate (mtls)'),
    token: secret(z.string().min(1).max(16_384)).optional().describe('OAuth2 bearer token (oauth2)'),
    ca_name: z.string().min(1).max(250).describe('Name of the EJBCA CA that signs'),
    cert_profile: z.string().min(1).max(250).default('ENDUSER').describe('EJBCA certificate profile'),
    ee_profile: z.string().min(1).max(250).default('EMPTY').describe('EJBCA end entity profile'),
    username_policy: z
      .enum(['common_name', 'request_id'])
      .default('common_name')
      .describe('End entity username: the common name (renewals reuse the end entity) or one per certctl request'),
    username_prefix: z
      .string()
      .regex(/^[\w.@ -]{0,64}$/, 'letters, digits, "_", ".", "@", "-" and spaces, at most 64')
      .default('')
      .describe('Prefix of every end entity username, e.g. certctl-'),
    server_ca_path: z
      .string()
      .min(1)
      .optional()
      .describe("PEM bundle trusted for EJBCA's TLS certificate instead of the system store"),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to EJBCA'),
  })
  .superRefine((config, check) => {
    if (config.auth_mode === 'mtls') {
      for (const key of ['client_cert_path', 'client_key_path'] as const) {
        if (!config[key]) check.addIssue({ code: 'custom', path: [key], message: 'required when auth_mode is mtls' });
      }
    } else if (!config.token) {
      check.addIssue({ code: 'custom', path: ['token'], message: 'required when auth_mode is oauth2' });
    }
  });

export type EjbcaIssuerConfig = z.output<typeof ejbcaConfigSchema>;

/** The reference names, plus the server CA and username policy in the same style. */
export const ejbcaEnvMapping: EnvMapping = {
  CERTCTL_EJBCA_API_URL: 'api_url',
  CERTCTL_EJBCA_AUTH_MODE: 'auth_mode',
  CERTCTL_EJBCA_CLIENT_CERT_PATH: 'client_cert_path',
  CERTCTL_EJBCA_CLIENT_KEY_PATH: 'client_key_path',
  CERTCTL_EJBCA_TOKEN: 'token',
  CERTCTL_EJBCA_CA_NAME: 'ca_name',
  CERTCTL_EJBCA_CERT_PROFILE: 'cert_profile',
  CERTCTL_EJBCA_EE_PROFILE: 'ee_profile',
  CERTCTL_EJBCA_USERNAME_POLICY: 'username_policy',
  CERTCTL_EJBCA_USERNAME_PREFIX: 'username_prefix',
  CERTCTL_EJBCA_SERVER_CA_PATH: 'server_ca_path',
};
