import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

/** A bad or missing variable: one line naming it, printed by the CLI before it exits. */
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

export type AgentLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AgentConfig {
  serverUrl: URL;
  bootstrapToken?: string;
  serverCaFile?: string;
  agentName: string;
  stateDir: string;
  keyDir: string;
  discoveryDirs: string[];
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  discoveryIntervalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  httpTimeoutMs: number;
  verifyTimeoutMs: number;
  /** `CERTCTL_VERIFY_DEPLOYMENT=false` skips post-deploy verification even where a target asks for it. */
  verifyDeployment: boolean;
  /** Wait between a deploy and its verification (servers that reload asynchronously). */
  verifyDelayMs: number;
  /** Backups a target keeps per file, for targets whose config has `backup_retention` and does not set it. */
  deployBackupRetention?: number;
  /** How long SIGTERM waits for the job in hand before abandoning it (it resumes at next start). */
  shutdownGraceMs: number;
  logLevel: AgentLogLevel;
  connectors: string[];
  /**
   * Where the agent writes ACME HTTP-01 tokens (`<dir>/.well-known/acme-challenge/<token>`) for
   * issuers with `http_served_by: agent`: the directory the host's web server serves that path from.
   */
  http01Webroot?: string;
}

const seconds = (fallback: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(fallback);
/** `500ms`, `10s`, `2m`, `1h30m` (Go notation, as the reference writes its durations) → milliseconds. */
const duration = z.string().transform((value, ctx) => {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value.trim())) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 10s, 2m' });
    return z.NEVER;
  }
  let total = 0;
  for (const match of value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(match[1]) * units[match[2]!]!;
  return total;
});
const flag = z
  .string()
  .regex(/^(true|false|1|0|yes|no|on|off)$/i, 'must be true or false')
  .transform((v) => /^(true|1|yes|on)$/i.test(v));
const absolutePath = z.string().refine((p) => isAbsolute(p), 'must be an absolute path');
const pathList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(absolutePath));

const schema = z.object({
  CERTCTL_SERVER_URL: z
    .string({ error: 'is required (the certctl server, e.g. https://certctl.example.com:8443)' })
    .transform((v, ctx) => {
      try {
        const url = new URL(v);
        if (url.protocol !== 'https:')
          ctx.addIssue({
            code: 'custom',
            message: 'must be an https:// URL (the agent never talks to the server in clear text)',
          });
        return url;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not a URL' });
        return z.NEVER;
      }
    }),
  CERTCTL_AGENT_BOOTSTRAP_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CERTCTL_SERVER_CA_FILE: absolutePath.optional(),
  CERTCTL_AGENT_NAME: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[\w.@:-]+$/, 'may hold letters, digits and . _ - @ : only')
    .optional(),
  CERTCTL_AGENT_STATE_DIR: absolutePath.default('/var/lib/certctl-agent'),
  CERTCTL_KEY_DIR: absolutePath.optional(),
  CERTCTL_DISCOVERY_DIRS: pathList,
  CERTCTL_POLL_INTERVAL_SECONDS: seconds(30, 0.05, 86_400),
  CERTCTL_HEARTBEAT_INTERVAL_SECONDS: seconds(60, 0.05, 86_400),
  CERTCTL_DISCOVERY_INTERVAL_SECONDS: seconds(21_600, 0.05, 30 * 86_400),
  CERTCTL_BACKOFF_BASE_SECONDS: seconds(1, 0.01, 3_600),
  CERTCTL_BACKOFF_MAX_SECONDS: seconds(300, 0.05, 86_400),
  CERTCTL_HTTP_TIMEOUT_SECONDS: seconds(30, 0.1, 600),
  CERTCTL_VERIFY_TIMEOUT_SECONDS: seconds(10, 0.1, 600),
  CERTCTL_VERIFY_TIMEOUT: duration.optional(),
  CERTCTL_VERIFY_DEPLOYMENT: flag.default(true),
  CERTCTL_VERIFY_DELAY: duration.default(0),
  CERTCTL_DEPLOY_BACKUP_RETENTION: z.coerce.number().int('must be a whole number').min(0).max(100).optional(),
  CERTCTL_SHUTDOWN_GRACE_SECONDS: seconds(25, 0, 600),
  CERTCTL_HTTP01_WEBROOT: absolutePath.optional(),
  CERTCTL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  CERTCTL_CONNECTORS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
});

/** Every variable the agent reads; anything else named CERTCTL_* is someone else's (the server's, a connector's). */
export const AGENT_VARIABLES = Object.keys(schema.shape);

/** Parses the agent's environment once; a bad value stops the agent with one line naming the variable. */
export function loadAgentConfig(env: Record<string, string | undefined>): AgentConfig {
  const input = Object.fromEntries(AGENT_VARIABLES.map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new AgentConfigError(`${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const v = parsed.data;
  if (input.CERTCTL_VERIFY_TIMEOUT !== undefined && input.CERTCTL_VERIFY_TIMEOUT_SECONDS !== undefined)
    throw new AgentConfigError(
      'CERTCTL_VERIFY_TIMEOUT and CERTCTL_VERIFY_TIMEOUT_SECONDS are both set; keep one (the first is the reference name)',
    );
  return {
    serverUrl: v.CERTCTL_SERVER_URL,
    bootstrapToken: v.CERTCTL_AGENT_BOOTSTRAP_TOKEN,
    serverCaFile: v.CERTCTL_SERVER_CA_FILE,
    agentName: v.CERTCTL_AGENT_NAME ?? hostname(),
    stateDir: v.CERTCTL_AGENT_STATE_DIR,
    keyDir: v.CERTCTL_KEY_DIR ?? join(v.CERTCTL_AGENT_STATE_DIR, 'keys'),
    discoveryDirs: v.CERTCTL_DISCOVERY_DIRS,
    pollIntervalMs: v.CERTCTL_POLL_INTERVAL_SECONDS * 1000,
    heartbeatIntervalMs: v.CERTCTL_HEARTBEAT_INTERVAL_SECONDS * 1000,
    discoveryIntervalMs: v.CERTCTL_DISCOVERY_INTERVAL_SECONDS * 1000,
    backoffBaseMs: v.CERTCTL_BACKOFF_BASE_SECONDS * 1000,
    backoffMaxMs: Math.max(v.CERTCTL_BACKOFF_MAX_SECONDS, v.CERTCTL_BACKOFF_BASE_SECONDS) * 1000,
    httpTimeoutMs: v.CERTCTL_HTTP_TIMEOUT_SECONDS * 1000,
    verifyTimeoutMs: v.CERTCTL_VERIFY_TIMEOUT ?? v.CERTCTL_VERIFY_TIMEOUT_SECONDS * 1000,
    verifyDeployment: v.CERTCTL_VERIFY_DEPLOYMENT,
    verifyDelayMs: v.CERTCTL_VERIFY_DELAY,
    deployBackupRetention: v.CERTCTL_DEPLOY_BACKUP_RETENTION,
    shutdownGraceMs: v.CERTCTL_SHUTDOWN_GRACE_SECONDS * 1000,
    logLevel: v.CERTCTL_LOG_LEVEL,
    connectors: v.CERTCTL_CONNECTORS,
    http01Webroot: v.CERTCTL_HTTP01_WEBROOT,
  };
}
