import { z } from 'zod';
import { bool, commaList, durationMs, httpUrl, port, positiveInt } from '../../config/env-values.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';

/** `kid:base64url-hmac-key` pairs an operator hands to ACME clients for external account binding. */
const eabKeys = z.string().transform((value, ctx) => {
  const keys: { kid: string; hmacKey: string }[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [kid, key, ...rest] = entry.split(':');
    if (!kid || !key || rest.length > 0 || !/^[A-Za-z0-9_-]{16,}$/.test(key)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected kid:key entries (key: base64url, at least 16 characters) separated by commas',
      });
      return z.NEVER;
    }
    keys.push({ kid, hmacKey: key });
  }
  return keys;
});

/** `name=address` pairs the validators use instead of DNS (split horizon, tests on loopback). */
const hostMap = z.string().transform((value, ctx) => {
  const map: Record<string, string> = {};
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, address, ...rest] = entry.split('=');
    if (!name || !address || rest.length > 0) {
      ctx.addIssue({ code: 'custom', message: 'expected name=address entries separated by commas' });
      return z.NEVER;
    }
    map[name.toLowerCase()] = address;
  }
  return map;
});

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$|^[^:\s]+$/, 'expected host or host:port');

/** Every `CERTCTL_ACME_SERVER_*` variable. */
export const ACME_SERVER_VARIABLES = {
  CERTCTL_ACME_SERVER_ENABLED: bool
    .default(false)
    .describe('Serve the ACME directory at /acme/directory (and per profile under /acme/profile/<id>/).'),
  CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Certificate profile of /acme/directory.'),
  CERTCTL_ACME_SERVER_ISSUER_ID: z.string().min(1).default('iss-local').describe('Issuer that signs ACME orders.'),
  CERTCTL_ACME_SERVER_OWNER_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Owner given to certificates issued through ACME.'),
  CERTCTL_ACME_SERVER_TEAM_ID: z.string().min(1).optional().describe('Team given to certificates issued through ACME.'),
  CERTCTL_ACME_SERVER_RENEWAL_POLICY_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Renewal policy of certificates issued through ACME (its window drives ARI).'),
  CERTCTL_ACME_SERVER_NONCE_TTL: durationMs.default(300_000).describe('Lifetime of a replay nonce.'),
  CERTCTL_ACME_SERVER_ORDER_LIFETIME: durationMs
    .default(24 * 3_600_000)
    .describe('Lifetime of an order and its authorizations.'),
  CERTCTL_ACME_SERVER_GC_INTERVAL: durationMs
    .default(60_000)
    .describe('How often used nonces and stale orders are cleaned up.'),
  CERTCTL_ACME_SERVER_TERMS_OF_SERVICE: httpUrl.optional().describe('termsOfService URL in the directory meta.'),
  CERTCTL_ACME_SERVER_WEBSITE: httpUrl.optional().describe('website URL in the directory meta.'),
  CERTCTL_ACME_SERVER_EAB_REQUIRED: bool.default(false).describe('Require external account binding for new accounts.'),
  CERTCTL_ACME_SERVER_EAB_KEYS: eabKeys
    .optional()
    .describe('kid:key pairs (base64url HMAC keys) accepted for external account binding.'),
  CERTCTL_ACME_SERVER_HTTP01_PORT: port.default(80).describe('Port the http-01 validator connects to.'),
  CERTCTL_ACME_SERVER_TLSALPN01_PORT: port.default(443).describe('Port the tls-alpn-01 validator connects to.'),
  CERTCTL_ACME_SERVER_DNS_RESOLVER: hostPort
    .optional()
    .describe('host[:port] of the resolver dns-01 validation asks (default: the system resolver).'),
  CERTCTL_ACME_SERVER_VALIDATION_HOSTS: hostMap
    .optional()
    .describe('name=address pairs the validators use instead of DNS.'),
  CERTCTL_ACME_SERVER_VALIDATION_ALLOW: commaList
    .optional()
    .describe('Addresses or CIDRs validators may reach although they are private.'),
  CERTCTL_ACME_SERVER_VALIDATION_CONCURRENCY: positiveInt.default(10).describe('Challenge validations run at once.'),
  CERTCTL_ACME_SERVER_VALIDATION_TIMEOUT: durationMs.default(10_000).describe('Deadline of one challenge validation.'),
  CERTCTL_ACME_SERVER_ORDERS_PER_HOUR: positiveInt.default(100).describe('New orders per account per hour.'),
  CERTCTL_ACME_SERVER_KEY_CHANGES_PER_HOUR: positiveInt
    .default(5)
    .describe('Account key rollovers per account per hour.'),
} as const;

export interface AcmeServerConfig {
  enabled: boolean;
  defaultProfileId?: string;
  issuerId: string;
  ownerId?: string;
  teamId?: string;
  renewalPolicyId?: string;
  nonceTtlMs: number;
  orderLifetimeMs: number;
  gcIntervalMs: number;
  termsOfService?: string;
  website?: string;
  eabRequired: boolean;
  eabKeys: { kid: string; hmacKey: string }[];
  http01Port: number;
  tlsAlpn01Port: number;
  dnsResolver?: string;
  validationHosts: Record<string, string>;
  validationAllow: string[];
  validationConcurrency: number;
  validationTimeoutMs: number;
  ordersPerHour: number;
  keyChangesPerHour: number;
}

type Parsed = z.output<z.ZodObject<typeof ACME_SERVER_VARIABLES>>;

export function toAcmeServerConfig(env: Parsed): AcmeServerConfig {
  return {
    enabled: env.CERTCTL_ACME_SERVER_ENABLED,
    defaultProfileId: env.CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID,
    issuerId: env.CERTCTL_ACME_SERVER_ISSUER_ID,
    ownerId: env.CERTCTL_ACME_SERVER_OWNER_ID,
    teamId: env.CERTCTL_ACME_SERVER_TEAM_ID,
    renewalPolicyId: env.CERTCTL_ACME_SERVER_RENEWAL_POLICY_ID,
    nonceTtlMs: env.CERTCTL_ACME_SERVER_NONCE_TTL,
    orderLifetimeMs: env.CERTCTL_ACME_SERVER_ORDER_LIFETIME,
    gcIntervalMs: env.CERTCTL_ACME_SERVER_GC_INTERVAL,
    termsOfService: env.CERTCTL_ACME_SERVER_TERMS_OF_SERVICE,
    website: env.CERTCTL_ACME_SERVER_WEBSITE,
    eabRequired: env.CERTCTL_ACME_SERVER_EAB_REQUIRED,
    eabKeys: env.CERTCTL_ACME_SERVER_EAB_KEYS ?? [],
    http01Port: env.CERTCTL_ACME_SERVER_HTTP01_PORT,
    tlsAlpn01Port: env.CERTCTL_ACME_SERVER_TLSALPN01_PORT,
    dnsResolver: env.CERTCTL_ACME_SERVER_DNS_RESOLVER,
    validationHosts: env.CERTCTL_ACME_SERVER_VALIDATION_HOSTS ?? {},
    validationAllow: env.CERTCTL_ACME_SERVER_VALIDATION_ALLOW ?? [],
    validationConcurrency: env.CERTCTL_ACME_SERVER_VALIDATION_CONCURRENCY,
    validationTimeoutMs: env.CERTCTL_ACME_SERVER_VALIDATION_TIMEOUT,
    ordersPerHour: env.CERTCTL_ACME_SERVER_ORDERS_PER_HOUR,
    keyChangesPerHour: env.CERTCTL_ACME_SERVER_KEY_CHANGES_PER_HOUR,
  };
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    acmeServer: AcmeServerConfig;
  }
}

/** The ACME server's variables, assembled into `config.acmeServer`. */
export const acmeServerSettings = defineFeatureSettings({
  key: 'acmeServer',
  variables: ACME_SERVER_VARIABLES,
  build: toAcmeServerConfig,
});
