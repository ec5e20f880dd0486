/** The ACME issuer's JSON config (snake_case, as in the reference table) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

export const CHALLENGE_TYPES = ['http-01', 'dns-01', 'dns-persist-01'] as const;
export type ChallengeType = (typeof CHALLENGE_TYPES)[number];

const httpsUrl = z.url({ protocol: /^https$/, error: 'expected an https:// URL' });

export const acmeConfigSchema = z
  .strictObject({
    directory_url: httpsUrl.describe('ACME directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory'),
    email: z.email().optional().describe('Contact email for account registration (required for ZeroSSL auto-EAB)'),
    eab_kid: z
      .string()
      .min(1)
      .optional()
      .describe('External Account Binding key id (ZeroSSL, Google Trust Services, SSL.com)'),
    eab_hmac: secret(z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'expected a base64url HMAC key'))
      .optional()
      .describe('External Account Binding HMAC key, base64url'),
    challenge_type: z.enum(CHALLENGE_TYPES).default('http-01').describe('http-01 (default), dns-01 or dns-persist-01'),
    http_port: z
      .int()
      .min(1)
      .max(65_535)
      .default(80)
      .describe('Port of the built-in HTTP-01 responder, started only while a challenge is pending'),
    http_bind_address: z
      .string()
      .min(1)
      .optional()
      .describe('Address the built-in HTTP-01 responder binds; default all interfaces'),
    http_webroot: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Serve HTTP-01 tokens from an existing web server instead: files are written under <http_webroot>/.well-known/acme-challenge/',
      ),
    http_served_by: z
      .enum(['issuer', 'agent'])
      .default('issuer')
      .describe(
        'Who serves HTTP-01 tokens: issuer (the responder or http_webroot of this process) or agent (the agent on the target host, through the job protocol; the order waits for it)',
      ),
    dns_present_script: z
      .string()
      .min(1)
      .optional()
      .describe('Script that creates the TXT record (dns-01 and dns-persist-01)'),
    dns_cleanup_script: z.string().min(1).optional().describe('Script that removes the TXT record (dns-01 only)'),
    dns_propagation_wait: z
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe('Seconds to wait after the present script before asking the CA to validate'),
    dns_script_timeout_seconds: z.int().min(1).max(3600).default(120).describe('Longest a DNS hook script may run'),
    dns_persist_issuer_domain: z
      .string()
      .min(1)
      .optional()
      .describe('CA issuer domain written into the dns-persist-01 record, e.g. letsencrypt.org'),
    profile: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a profile name such as tlsserver or shortlived')
      .optional()
      .describe('ACME profile for newOrder (e.g. tlsserver, shortlived); empty for the CA default'),
    ari_enabled: z.boolean().default(false).describe('Ask the CA when to renew (ACME Renewal Information, RFC 9773)'),
    ari_http_timeout_seconds: z.int().min(1).max(300).default(10).describe('Deadline of one renewalInfo request'),
    ca_bundle_path: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM file of the CA(s) that sign the ACME server's own HTTPS certificate, for private ACME CAs (step-ca, pebble); replaces the system trust store for that server",
      ),
    order_timeout_seconds: z
      .int()
      .min(10)
      .max(3600)
      .default(300)
      .describe('Longest one issuance may take, from newOrder to the downloaded certificate'),
  })
  .superRefine((config, ctx) => {
    if ((config.eab_kid === undefined) !== (config.eab_hmac === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.eab_kid === undefined ? 'eab_kid' : 'eab_hmac'],
        message: 'External Account Binding needs both eab_kid and eab_hmac',
      });
    }
    if (config.challenge_type !== 'http-01' && config.dns_present_script === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns_present_script'],
        message: `${config.challenge_type} needs dns_present_script`,
      });
    }
    if (
      config.http_served_by === 'agent' &&
      (config.challenge_type !== 'http-01' || config.http_webroot !== undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['http_served_by'],
        message:
          'http_served_by agent needs challenge_type http-01 and no http_webroot (the agent chooses its listener or webroot)',
      });
    }
    if (config.challenge_type === 'dns-persist-01' && config.dns_persist_issuer_domain === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns_persist_issuer_domain'],
        message: 'dns-persist-01 needs dns_persist_issuer_domain (the CA issuer domain, e.g. letsencrypt.org)',
      });
    }
  });

/** The parsed config (defaults applied). */
export type AcmeIssuerConfig = z.output<typeof acmeConfigSchema>;
/** What an operator writes (defaults optional). */
export type AcmeIssuerConfigInput = z.input<typeof acmeConfigSchema>;

/** The reference names, plus the same pattern for the keys the reference lists without a variable. */
export const acmeEnvMapping: EnvMapping = {
  CERTCTL_ACME_DIRECTORY_URL: 'directory_url',
  CERTCTL_ACME_EMAIL: 'email',
  CERTCTL_ACME_EAB_KID: 'eab_kid',
  CERTCTL_ACME_EAB_HMAC: 'eab_hmac',
  CERTCTL_ACME_CHALLENGE_TYPE: 'challenge_type',
  CERTCTL_ACME_HTTP_PORT: 'http_port',
  CERTCTL_ACME_HTTP_BIND_ADDRESS: 'http_bind_address',
  CERTCTL_ACME_HTTP_WEBROOT: 'http_webroot',
  CERTCTL_ACME_HTTP_SERVED_BY: 'http_served_by',
  CERTCTL_ACME_DNS_PRESENT_SCRIPT: 'dns_present_script',
  CERTCTL_ACME_DNS_CLEANUP_SCRIPT: 'dns_cleanup_script',
  CERTCTL_ACME_DNS_PROPAGATION_WAIT: 'dns_propagation_wait',
  CERTCTL_ACME_DNS_PERSIST_ISSUER_DOMAIN: 'dns_persist_issuer_domain',
  CERTCTL_ACME_PROFILE: 'profile',
  CERTCTL_ACME_ARI_ENABLED: 'ari_enabled',
  CERTCTL_ACME_ARI_HTTP_TIMEOUT_SECONDS: 'ari_http_timeout_seconds',
  CERTCTL_ACME_CA_BUNDLE_PATH: 'ca_bundle_path',
};
