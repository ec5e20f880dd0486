import { resolve } from 'node:path';
import { z } from 'zod';
import { bool, commaList, durationMs, httpUrl, port, positiveInt } from './env-values.js';
import type { EstConfig } from '../features/est/est-config.js';
import { namedApiKeys } from './named-api-keys.js';
import {
  NOTIFICATION_VARIABLES,
  type NotificationConfig,
  toNotificationConfig,
} from '../features/notifications/notification-config.js';
import {
  ACME_SERVER_VARIABLES,
  type AcmeServerConfig,
  toAcmeServerConfig,
} from '../features/acme/acme-server-config.js';
import type { ScepConfig } from '../features/scep/scep-config.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Every `CERTCTL_*` variable the server itself reads, with its parser and default. Connector
 * variables (`CERTCTL_<VENDOR>_*`) come from the installed manifests' env mappings.
 */
export const SERVER_VARIABLES = {
  CERTCTL_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  CERTCTL_SERVER_PORT: port.default(8443),
  CERTCTL_SERVER_TLS_CERT_PATH: z.string().min(1).optional(),
  CERTCTL_SERVER_TLS_KEY_PATH: z.string().min(1).optional(),
  CERTCTL_SERVER_PUBLIC_URL: httpUrl.optional(),
  CERTCTL_PKI_HTTP_PORT: port.default(8080),
  CERTCTL_PKI_HTTP_PUBLIC_URL: httpUrl.optional(),
  CERTCTL_DATA_DIR: z.string().min(1).default('./data'),
  CERTCTL_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  CERTCTL_DATABASE_MAX_CONNS: positiveInt.default(25),
  CERTCTL_AUTH_TYPE: z.enum(['api-key']).default('api-key'),
  CERTCTL_API_KEYS_NAMED: namedApiKeys.optional(),
  CERTCTL_AGENT_BOOTSTRAP_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  CERTCTL_CORS_ORIGINS: commaList.optional(),
  CERTCTL_RATE_LIMIT_ENABLED: bool.default(true),
  CERTCTL_RATE_LIMIT_RPS: positiveInt.default(50),
  CERTCTL_RATE_LIMIT_BURST: positiveInt.default(100),
  CERTCTL_MAX_BODY_SIZE: positiveInt.default(1_048_576),
  CERTCTL_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  CERTCTL_LOG_FORMAT: z.enum(['json', 'text']).optional(),
  CERTCTL_CONFIG_ENCRYPTION_KEY: z.string().min(32, 'expected at least 32 characters').optional(),
  CERTCTL_CONNECTORS: commaList.optional(),
  CERTCTL_APPROVAL_BYPASS: bool.default(false),
  CERTCTL_SCHEDULER_ENABLED: bool.default(true),
  CERTCTL_SCHEDULER_RENEWAL_CHECK_INTERVAL: durationMs.default(3_600_000),
  CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: durationMs.default(10_000),
  CERTCTL_SCHEDULER_RETRY_INTERVAL: durationMs.default(300_000),
  CERTCTL_JOB_TIMEOUT_INTERVAL: durationMs.default(600_000),
  CERTCTL_SCHEDULER_AGENT_HEALTH_CHECK_INTERVAL: durationMs.default(120_000),
  CERTCTL_SHORT_LIVED_EXPIRY_CHECK_INTERVAL: durationMs.default(30_000),
  CERTCTL_CRL_GENERATION_INTERVAL: durationMs.default(3_600_000),
  CERTCTL_CRL_VALIDITY: durationMs.default(7 * 86_400_000),
  CERTCTL_OCSP_VALIDITY: durationMs.default(3_600_000),
  CERTCTL_OCSP_RATE_LIMIT_PER_IP_MIN: z.coerce.number().int().min(0).default(1000),
  CERTCTL_JOB_AWAITING_CSR_TIMEOUT: durationMs.default(24 * 3_600_000),
  CERTCTL_JOB_AWAITING_APPROVAL_TIMEOUT: durationMs.default(168 * 3_600_000),
  CERTCTL_JOB_LEASE: durationMs.default(300_000),
  CERTCTL_JOB_MAX_ATTEMPTS: positiveInt.default(3),
  CERTCTL_CA_ORDER_TIMEOUT: durationMs.default(24 * 3_600_000),
  CERTCTL_RENEWAL_CONCURRENCY: positiveInt.default(25),
  CERTCTL_AGENT_OFFLINE_AFTER: durationMs.default(300_000),
  ...NOTIFICATION_VARIABLES,
  ...ACME_SERVER_VARIABLES,
} as const;

export type ServerVariable = keyof typeof SERVER_VARIABLES;

const envSchema = z.object(SERVER_VARIABLES);
type ParsedEnv = z.output<typeof envSchema>;

export interface ServerConfig {
  server: { host: string; port: number; tlsCertPath?: string; tlsKeyPath?: string; publicUrl?: string };
  pkiHttp: { port: number; publicUrl?: string };
  dataDir: string;
  database: { url?: string; maxConnections: number };
  auth: {
    namedKeys: { name: string; key: string; role: 'admin' | 'operator' | 'viewer' | 'agent' }[];
    agentBootstrapToken?: string;
  };
  http: { corsOrigins: string[]; rateLimit: { enabled: boolean; rps: number; burst: number }; maxBodyBytes: number };
  /** Without CERTCTL_LOG_FORMAT: text on a terminal, JSON otherwise. */
  log: { level: (typeof LOG_LEVELS)[number]; format?: 'json' | 'text' };
  configEncryptionKey?: string;
  connectorPackages: string[];
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
  crlValidityMs: number;
  ocspValidityMs: number;
  pkiRateLimitPerIpMin: number;
  agentOfflineAfterMs: number;
  notifications: NotificationConfig;
  acmeServer: AcmeServerConfig;
  /** Connector-owned `CERTCTL_*` variables, passed to env seeding as they are. */
  connectorEnv: Record<string, string>;
  /** EST endpoints (`CERTCTL_EST_*`, parsed by est/est-config). */
  est?: EstConfig;
  scep?: ScepConfig;
}

export function toServerConfig(env: ParsedEnv, connectorEnv: Record<string, string>): ServerConfig {
  return {
    server: {
      host: env.CERTCTL_SERVER_HOST,
      port: env.CERTCTL_SERVER_PORT,
      tlsCertPath: env.CERTCTL_SERVER_TLS_CERT_PATH,
      tlsKeyPath: env.CERTCTL_SERVER_TLS_KEY_PATH,
      publicUrl: env.CERTCTL_SERVER_PUBLIC_URL,
    },
    pkiHttp: { port: env.CERTCTL_PKI_HTTP_PORT, publicUrl: env.CERTCTL_PKI_HTTP_PUBLIC_URL },
    dataDir: resolve(env.CERTCTL_DATA_DIR),
    database: { url: env.CERTCTL_DATABASE_URL, maxConnections: env.CERTCTL_DATABASE_MAX_CONNS },
    auth: { namedKeys: env.CERTCTL_API_KEYS_NAMED ?? [], agentBootstrapToken: env.CERTCTL_AGENT_BOOTSTRAP_TOKEN },
    http: {
      corsOrigins: env.CERTCTL_CORS_ORIGINS ?? [],
      rateLimit: {
        enabled: env.CERTCTL_RATE_LIMIT_ENABLED,
        rps: env.CERTCTL_RATE_LIMIT_RPS,
        burst: env.CERTCTL_RATE_LIMIT_BURST,
      },
      maxBodyBytes: env.CERTCTL_MAX_BODY_SIZE,
    },
    log: { level: env.CERTCTL_LOG_LEVEL, format: env.CERTCTL_LOG_FORMAT },
    configEncryptionKey: env.CERTCTL_CONFIG_ENCRYPTION_KEY,
    connectorPackages: env.CERTCTL_CONNECTORS ?? [],
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
    notifications: toNotificationConfig(env),
    acmeServer: toAcmeServerConfig(env),
    connectorEnv,
  };
}

export { envSchema };
