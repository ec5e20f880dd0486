/** The Entrust issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

const IDENTIFIER = /^[A-Za-z0-9_.-]{1,128}$/;

export const entrustConfigSchema = z
  .strictObject({
    api_mode: z
      .enum(['ca_gateway', 'enterprise'])
      .default('ca_gateway')
      .describe('ca_gateway: the Entrust CA Gateway (mTLS); enterprise: the Certificate Services enterprise API v2'),
    api_url: z
      .url({ protocol: /^https$/ })
      .describe(
        'CA Gateway base URL (e.g. https://cagw.example.com/cagw), or the enterprise API (https://api.entrust.net/enterprise/v2)',
      ),
    client_cert_path: z.string().min(1).describe('PEM client certificate for mTLS; reloaded when the file changes'),
    client_key_path: z.string().min(1).describe('PEM private key of the client certificate'),
    server_ca_path: z
      .string()
      .min(1)
      .optional()
      .describe("PEM bundle trusted for the API's TLS certificate instead of the system store"),
    ca_id: z
      .string()
      .regex(IDENTIFIER, 'letters, digits, "_", "." and "-"')
      .optional()
      .describe('CA Gateway: certificate authority id (from GET /v1/certificate-authorities)'),
    profile_id: z
      .string()
      .regex(IDENTIFIER, 'letters, digits, "_", "." and "-"')
      .optional()
      .describe('CA Gateway: enrollment profile id; a request profile overrides it'),
    username: z.string().min(1).max(256).optional().describe('Enterprise API: the API username'),
    api_key: secret(z.string().min(1).max(4096))
      .optional()
      .describe('Enterprise API: the API key generated with the username'),
    cert_type: z
      .string()
      .regex(/^[A-Z0-9_]{2,64}$/, 'an Entrust certificate type such as STANDARD_SSL')
      .default('STANDARD_SSL')
      .describe('Enterprise API: product (certType) ordered; a request profile overrides it'),
    client_id: z.int().min(1).default(1).describe('Enterprise API: client (sub-account) id; 1 is the primary client'),
    organization: z.string().min(1).max(256).optional().describe('Enterprise API: verified organization (org)'),
    ct_log: z
      .boolean()
      .default(true)
      .describe('Enterprise API: publish the certificate to Certificate Transparency logs'),
    queue_for_approval: z
      .boolean()
      .default(false)
      .describe('Enterprise API: queue every order for an Entrust administrator to approve'),
    requester_name: z.string().min(1).max(256).optional().describe('Enterprise API: tracking requester name'),
    requester_email: z.email().optional().describe('Enterprise API: tracking requester email'),
    requester_phone: z.string().min(1).max(64).optional().describe('Enterprise API: tracking requester phone'),
    poll_max_wait_seconds: z
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(600)
      .describe('How long a pending order is followed up; raise to 86400 when administrators approve orders'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to Entrust'),
  })
  .superRefine((config, ctx) => {
    const need = (key: keyof typeof config, why: string) => {
      if (config[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    if (config.api_mode === 'ca_gateway') need('ca_id', 'with api_mode ca_gateway');
    if (config.api_mode === 'enterprise') {
      need('username', 'with api_mode enterprise');
      need('api_key', 'with api_mode enterprise');
    }
  });

export type EntrustIssuerConfig = z.output<typeof entrustConfigSchema>;
export type EntrustIssuerConfigInput = z.input<typeof entrustConfigSchema>;

/** The reference names (API URL, client certificate, CA and profile ids, poll wait) and the rest in the same style. */
export const entrustEnvMapping: EnvMapping = {
  CERTCTL_ENTRUST_API_MODE: 'api_mode',
  CERTCTL_ENTRUST_API_URL: 'api_url',
  CERTCTL_ENTRUST_CLIENT_CERT_PATH: 'client_cert_path',
  CERTCTL_ENTRUST_CLIENT_KEY_PATH: 'client_key_path',
  CERTCTL_ENTRUST_SERVER_CA_PATH: 'server_ca_path',
  CERTCTL_ENTRUST_CA_ID: 'ca_id',
  CERTCTL_ENTRUST_PROFILE_ID: 'profile_id',
  CERTCTL_ENTRUST_USERNAME: 'username',
  CERTCTL_ENTRUST_API_KEY: 'api_key',
  CERTCTL_ENTRUST_CERT_TYPE: 'cert_type',
  CERTCTL_ENTRUST_CLIENT_ID: 'client_id',
  CERTCTL_ENTRUST_ORGANIZATION: 'organization',
  CERTCTL_ENTRUST_CT_LOG: 'ct_log',
  CERTCTL_ENTRUST_QUEUE_FOR_APPROVAL: 'queue_for_approval',
  CERTCTL_ENTRUST_POLL_MAX_WAIT_SECONDS: 'poll_max_wait_seconds',
};
