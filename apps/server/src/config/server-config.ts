import { resolve } from 'node:path';
import { createSsrfPolicy } from '@certctl/connector-utils';
import { z } from 'zod';
import { bool, commaList, durationMs, httpUrl, port, positiveInt } from './env-values.js';
import { namedApiKeys } from './named-api-keys.js';
import type { FeatureConfigs } from './feature-settings.js';
import { type ConnectionLimits, HTTP_CONNECTION_VARIABLES, toConnectionLimits } from '../http/connection-limits.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * The `CERTCTL_*` variables of the server's core (listeners, database, auth, scheduler), with their
 * parsers, defaults and docs. Features declare their own (`FeatureSettings`, `settings` of a
 * feature); connector variables (`CERTCTL_<VENDOR>_*`) come from the installed manifests' env mappings.
 */
export const SERVER_VARIABLES = {
  CERTCTL_SERVER_HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTPS listener binds.'),
  CERTCTL_SERVER_PORT: port.default(8443).describe('Port of the HTTPS listener (API, dashboard, ACME, EST).'),
  CERTCTL_SERVER_TLS_CERT_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      'PEM certificate of the HTTPS listener (with _KEY_PATH; default: a bootstrap certificate from the local CA).',
    ),
  CERTCTL_SERVER_TLS_KEY_PATH: z.string().min(1).optional().describe('PEM private key of the HTTPS listener.'),
  CERTCTL_SERVER_PUBLIC_URL: httpUrl
    .optional()
    .describe('URL clients reach the HTTPS listener at, when behind a proxy.'),
  CERTCTL_PKI_HTTP_PORT: port.default(8080).describe('Port of the plain-HTTP listener (CRL, OCSP, SCEP).'),
  CERTCTL_PKI_HTTP_PUBLIC_URL: httpUrl
    .optional()
    .describe('URL relying parties reach the plain-HTTP listener at (CRL distribution points, OCSP URLs).'),
  CERTCTL_METRICS_LISTEN: z
    .string()
    .regex(/^(?:(?:\[[0-9a-fA-F:.]+\]|[^:\s]+):)?\d{1,5}$/, 'expected host:port or a port, such as 0.0.0.0:9464')
    .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'expected a port up to 65535')
    .optional()
    .describe(
      'host:port (or a port on CERTCTL_SERVER_HOST) of a separate plain-HTTP listener that serves only GET /metrics, so Prometheus scrapes without an API key. Unset: /metrics only on the HTTPS API, with an API key.',
    ),
  CERTCTL_METRICS_TOKEN: z
    .string()
    .min(16, 'expected at least 16 characters')
    .optional()
    .describe(
      'Bearer token a scrape must present on the CERTCTL_METRICS_LISTEN listener (unset: that listener is unauthenticated).',
    ),
  CERTCTL_DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory of the embedded database, keys and bootstrap certificates.'),
  CERTCTL_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL URL; unset: the embedded database in the data directory.'),
  CERTCTL_DATABASE_MAX_CONNS: positiveInt.default(25).describe('Connections in the PostgreSQL pool.'),
  CERTCTL_AUTH_TYPE: z.enum(['api-key']).default('api-key').describe('Authentication of the API (api-key).'),
  CERTCTL_API_KEYS_NAMED: namedApiKeys
    .optional()
    .describe('name:key[:role] entries, comma-separated; role admin, operator (default), viewer or agent.'),
  CERTCTL_AGENT_BOOTSTRAP_TOKEN: z
    .string()
    .min(16, 'expected at least 16 characters')
    .optional()
    .describe('Token agents present to register.'),
  CERTCTL_CORS_ORIGINS: commaList.optional().describe('Comma-separated origins allowed by CORS (default: none).'),
  CERTCTL_RATE_LIMIT_ENABLED: bool.default(true).describe('Rate-limit API requests per client address.'),
  CERTCTL_RATE_LIMIT_RPS: positiveInt.default(50).describe('Sustained API requests per second per client address.'),
  CERTCTL_RATE_LIMIT_BURST: positiveInt.default(100).describe('Burst of API requests per client address.'),
  CERTCTL_RATE_LIMIT_PER_USER_RPS: positiveInt
    .optional()
    .describe('Sustained API requests per second per API key (default: CERTCTL_RATE_LIMIT_RPS).'),
  CERTCTL_RATE_LIMIT_PER_USER_BURST: positiveInt
    .optional()
    .describe('Burst of API requests per API key (default: CERTCTL_RATE_LIMIT_BURST).'),
  CERTCTL_MAX_BODY_SIZE: positiveInt.default(1_048_576).describe('Largest request body, in bytes.'),
  CERTCTL_LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('Log level.'),
  CERTCTL_LOG_FORMAT: z
    .enum(['json', 'text'])
    .optional()
    .describe('Log format, text or json (default: text on a terminal, json otherwise).'),
  CERTCTL_CONFIG_ENCRYPTION_KEY: z
    .string()
    .min(32, 'expected at least 32 characters')
    .optional()
    .describe('Key that encrypts connector secrets at rest (default: a generated key file in the data directory).'),
  CERTCTL_CONNECTORS: commaList.optional().describe('Comma-separated extra connector packages to load.'),
  CERTCTL_NETWORK_ALLOW: commaList
    .refine((entries) => {
      try {
        createSsrfPolicy({ allow: entries });
        return true;
      } catch {
        return false;
      }
    }, 'expected host names (vault.corp, *.corp.example) and CIDRs (10.1.0.0/16) separated by commas')
    .optional()
    .describe("Private hosts (vault.corp, *.corp.example) and CIDRs (10.1.0.0/16) the server's connectors may reach."),
  CERTCTL_APPROVAL_BYPASS: bool
    .default(false)
    .describe('Approve every issuance that needs approval automatically (development only).'),
  CERTCTL_SCHEDULER_ENABLED: bool.default(true).describe('Run the scheduler loops in this process.'),
  CERTCTL_SCHEDULER_RENEWAL_CHECK_INTERVAL: durationMs
    .default(3_600_000)
    .describe('How often certificates are checked for renewal.'),
  CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: durationMs.default(10_000).describe('How often pending jobs are claimed.'),
  CERTCTL_SCHEDULER_RETRY_INTERVAL: durationMs.default(300_000).describe('How often failed jobs are retried.'),
  CERTCTL_JOB_TIMEOUT_INTERVAL: durationMs.default(600_000).describe('How often stuck jobs are timed out.'),
  CERTCTL_SCHEDULER_AGENT_HEALTH_CHECK_INTERVAL: durationMs
    .default(120_000)
    .describe('How often agents are checked for heartbeats.'),
  CERTCTL_SHORT_LIVED_EXPIRY_CHECK_INTERVAL: durationMs
    .default(30_000)
    .describe('How often short-lived certificates are marked expired.'),
  CERTCTL_CRL_GENERATION_INTERVAL: durationMs.default(3_600_000).describe('How often CRLs are regenerated.'),
  CERTCTL_CRL_VALIDITY: durationMs
    .default(7 * 86_400_000)
    .describe('nextUpdate of a generated CRL, from its thisUpdate.'),
  CERTCTL_OCSP_VALIDITY: durationMs.default(3_600_000).describe('nextUpdate of an OCSP response, from its thisUpdate.'),
  CERTCTL_OCSP_RATE_LIMIT_PER_IP_MIN: z.coerce
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe('CRL and OCSP requests per client address per minute (0: no limit).'),
  CERTCTL_JOB_AWAITING_CSR_TIMEOUT: durationMs
    .default(24 * 3_600_000)
    .describe("How long a job waits for an agent's CSR."),
  CERTCTL_JOB_AWAITING_APPROVAL_TIMEOUT: durationMs
    .default(168 * 3_600_000)
    .describe('How long a job waits for approval.'),
  // Renewed by a heartbeat while the job runs: short, so a dead replica's jobs move on within a minute.
  CERTCTL_JOB_LEASE: durationMs
    .default(60_000)
    .describe('How long a claimed job stays claimed unless its holder renews it (renewed while the job runs).'),
  CERTCTL_JOB_MAX_ATTEMPTS: positiveInt.default(3).describe('Attempts of a job before it fails for good.'),
  CERTCTL_CA_ORDER_TIMEOUT: durationMs
    .default(24 * 3_600_000)
    .describe('How long an order waits on an asynchronous CA.'),
  CERTCTL_RENEWAL_CONCURRENCY: positiveInt.default(25).describe('Jobs processed at once.'),
  CERTCTL_AGENT_OFFLINE_AFTER: durationMs.default(300_000).describe('Silence after which an agent is offline.'),
  ...HTTP_CONNECTION_VARIABLES,
} as const;

export type ServerVariable = keyof typeof SERVER_VARIABLES;

const envSchema = z.object(SERVER_VARIABLES);
type ParsedEnv = z.output<typeof envSchema>;

/** The core's part of the configuration. */
export interface CoreServerConfig {
  server: { host: string; port: number; tlsCertPath?: string; tlsKeyPath?: string; publicUrl?: string };
  pkiHttp: { port: number; publicUrl?: string };
  dataDir: string;
  database: { url?: string; maxConnections: number };
  auth: {
    namedKeys: { name: string; key: string; role: 'admin' | 'operator' | 'viewer' | 'agent' }[];
    agentBootstrapToken?: string;
  };
  http: {
    corsOrigins: string[];
    /** `rps`/`burst`: per client address (failed authentication) and, unless `perUser` says otherwise, per API key. */
    rateLimit: { enabled: boolean; rps: number; burst: number; perUser: { rps: number; burst: number } };
    maxBodyBytes: number;
    connections: ConnectionLimits;
  };
  /** Without CERTCTL_LOG_FORMAT: text on a terminal, JSON otherwise. */
  log: { level: (typeof LOG_LEVELS)[number]; format?: 'json' | 'text' };
  configEncryptionKey?: string;
  connectorPackages: string[];
  /** Where the server's connectors may connect besides public addresses (`CERTCTL_NETWORK_ALLOW`). */
  network: { allow: string[] };
  approvalBypass: boolean;
  scheduler: {
    enabled: boolean;
    renewalCheckMs: number;
    jobProcessorMs: number;
    retryMs: number;
    jobTimeoutCheckMs: number;
    agentHealthMs: number;
    shortLivedExpiryMs: number;
    crlGenerationMs: number;
    renewalConcurrency: number;
  };
  jobs: {
    leaseMs: number;
    maxAttempts: number;
    awaitingCsrTimeoutMs: number;
    awaitingApprovalTimeoutMs: number;
    caOrderTimeoutMs: number;
  };
  /** The separate scrape listener, when CERTCTL_METRICS_LISTEN is set. */
  metricsListener?: { host: string; port: number; token?: string };
  crlValidityMs: number;
  ocspValidityMs: number;
  pkiRateLimitPerIpMin: number;
  agentOfflineAfterMs: number;
  /** Connector-owned `CERTCTL_*` variables, passed to env seeding as they are. */
  connectorEnv: Record<string, string>;
  /** Reference variables that were set but are not implemented here (logged once at start). */
  referenceVariablesNotRead: string[];
}

/** Everything the server is configured with: the core's part and each feature's (`FeatureConfigs`). */
export type ServerConfig = CoreServerConfig & FeatureConfigs;

export function toCoreConfig(
  env: ParsedEnv,
  connectorEnv: Record<string, string>,
): Omit<CoreServerConfig, 'referenceVariablesNotRead'> {
  return {
    server: {
      host: env.CERTCTL_SERVER_HOST,
      port: env.CERTCTL_SERVER_PORT,
      tlsCertPath: env.CERTCTL_SERVER_TLS_CERT_PATH,
      tlsKeyPath: env.CERTCTL_SERVER_TLS_KEY_PATH,
      publicUrl: env.CERTCTL_SERVER_PUBLIC_URL,
    },
    pkiHttp: { port: env.CERTCTL_PKI_HTTP_PORT, publicUrl: env.CERTCTL_PKI_HTTP_PUBLIC_URL },
    metricsListener: metricsListenerOf(env),
    dataDir: resolve(env.CERTCTL_DATA_DIR),
    database: { url: env.CERTCTL_DATABASE_URL, maxConnections: env.CERTCTL_DATABASE_MAX_CONNS },
    auth: { namedKeys: env.CERTCTL_API_KEYS_NAMED ?? [], agentBootstrapToken: env.CERTCTL_AGENT_BOOTSTRAP_TOKEN },
    http: {
      corsOrigins: env.CERTCTL_CORS_ORIGINS ?? [],
      rateLimit: {
        enabled: env.CERTCTL_RATE_LIMIT_ENABLED,
        rps: env.CERTCTL_RATE_LIMIT_RPS,
        burst: env.CERTCTL_RATE_LIMIT_BURST,
        perUser: {
          rps: env.CERTCTL_RATE_LIMIT_PER_USER_RPS ?? env.CERTCTL_RATE_LIMIT_RPS,
          burst: env.CERTCTL_RATE_LIMIT_PER_USER_BURST ?? env.CERTCTL_RATE_LIMIT_BURST,
        },
      },
      maxBodyBytes: env.CERTCTL_MAX_BODY_SIZE,
      connections: toConnectionLimits(env),
    },
    log: { level: env.CERTCTL_LOG_LEVEL, format: env.CERTCTL_LOG_FORMAT },
    configEncryptionKey: env.CERTCTL_CONFIG_ENCRYPTION_KEY,
    connectorPackages: env.CERTCTL_CONNECTORS ?? [],
    network: { allow: env.CERTCTL_NETWORK_ALLOW ?? [] },
    approvalBypass: env.CERTCTL_APPROVAL_BYPASS,
    scheduler: {
      enabled: env.CERTCTL_SCHEDULER_ENABLED,
      renewalCheckMs: env.CERTCTL_SCHEDULER_RENEWAL_CHECK_INTERVAL,
      jobProcessorMs: env.CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL,
      retryMs: env.CERTCTL_SCHEDULER_RETRY_INTERVAL,
      jobTimeoutCheckMs: env.CERTCTL_JOB_TIMEOUT_INTERVAL,
      agentHealthMs: env.CERTCTL_SCHEDULER_AGENT_HEALTH_CHECK_INTERVAL,
      shortLivedExpiryMs: env.CERTCTL_SHORT_LIVED_EXPIRY_CHECK_INTERVAL,
      crlGenerationMs: env.CERTCTL_CRL_GENERATION_INTERVAL,
      renewalConcurrency: env.CERTCTL_RENEWAL_CONCURRENCY,
    },
    jobs: {
      leaseMs: env.CERTCTL_JOB_LEASE,
      maxAttempts: env.CERTCTL_JOB_MAX_ATTEMPTS,
      awaitingCsrTimeoutMs: env.CERTCTL_JOB_AWAITING_CSR_TIMEOUT,
      awaitingApprovalTimeoutMs: env.CERTCTL_JOB_AWAITING_APPROVAL_TIMEOUT,
      caOrderTimeoutMs: env.CERTCTL_CA_ORDER_TIMEOUT,
    },
    crlValidityMs: env.CERTCTL_CRL_VALIDITY,
    ocspValidityMs: env.CERTCTL_OCSP_VALIDITY,
    pkiRateLimitPerIpMin: env.CERTCTL_OCSP_RATE_LIMIT_PER_IP_MIN,
    agentOfflineAfterMs: env.CERTCTL_AGENT_OFFLINE_AFTER,
    connectorEnv,
  };
}

/** `host:port`, `[v6]:port` or a bare port (on CERTCTL_SERVER_HOST). */
function metricsListenerOf(env: ParsedEnv): CoreServerConfig['metricsListener'] {
  const listen = env.CERTCTL_METRICS_LISTEN;
  if (listen === undefined) return undefined;
  const at = listen.lastIndexOf(':');
  const host = at < 0 ? env.CERTCTL_SERVER_HOST : listen.slice(0, at).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(at + 1)), token: env.CERTCTL_METRICS_TOKEN };
}

export { envSchema };
