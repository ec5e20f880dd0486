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
  /** How long SIGTERM waits for the job in hand before abandoning it (it resumes at next start). */
  shutdownGraceMs: number;
  logLevel: AgentLogLevel;
  connectors: string[];
}

const seconds = (fallback: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(fallback);
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
  CERTCTL_SHUTDOWN_GRACE_SECONDS: seconds(25, 0, 600),
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
    verifyTimeoutMs: v.CERTCTL_VERIFY_TIMEOUT_SECONDS * 1000,
    shutdownGraceMs: v.CERTCTL_SHUTDOWN_GRACE_SECONDS * 1000,
    logLevel: v.CERTCTL_LOG_LEVEL,
    connectors: v.CERTCTL_CONNECTORS,
  };
}
