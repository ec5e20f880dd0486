import { EstConfigProblem, isEstVariable, parseEstConfig } from '../features/est/est-config.js';
import { isScepVariable, loadScepConfig } from '../features/scep/scep-config.js';
import { type ServerConfig, SERVER_VARIABLES, envSchema, toServerConfig } from './server-config.js';

/** A configuration problem that stops start-up; its message is the one line an operator reads. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** `CERTCTL_CONNECTORS`, read on its own because connectors load before the rest is checked. */
export function connectorPackagesFromEnv(env: Environment): string[] {
  return (env.CERTCTL_CONNECTORS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface LoadConfigOptions {
  /** `CERTCTL_*` names owned by installed connectors (their env mappings). */
  connectorVariables?: Iterable<string>;
}

/**
 * Parses every `CERTCTL_*` variable once. An unknown name or a malformed value throws a ConfigError
 * naming the variable (never echoing its value, which may be a secret).
 */
export function loadConfig(env: Environment, options: LoadConfigOptions = {}): ServerConfig {
  const connectorVariables = new Set(options.connectorVariables ?? []);
  const own: Record<string, string> = {};
  const connectorEnv: Record<string, string> = {};
  const estEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CERTCTL_') || value === undefined || isScepVariable(name)) continue;
    if (Object.hasOwn(SERVER_VARIABLES, name)) {
      if (value !== '') own[name] = value;
    } else if (isEstVariable(name)) {
      estEnv[name] = value;
    } else if (connectorVariables.has(name)) {
      connectorEnv[name] = value;
    } else {
      throw new ConfigError(
        `${name}: unknown variable (not read by certctl-server or any installed connector); remove it or check its spelling`,
        name,
      );
    }
  }
  const result = envSchema.safeParse(own);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? '');
    throw new ConfigError(`${variable}: ${issue.message}`, variable);
  }
  const parsed = result.data;
  if (Boolean(parsed.CERTCTL_SERVER_TLS_CERT_PATH) !== Boolean(parsed.CERTCTL_SERVER_TLS_KEY_PATH)) {
    const missing = parsed.CERTCTL_SERVER_TLS_CERT_PATH
      ? 'CERTCTL_SERVER_TLS_KEY_PATH'
      : 'CERTCTL_SERVER_TLS_CERT_PATH';
    throw new ConfigError(
      `${missing}: required when the other of CERTCTL_SERVER_TLS_CERT_PATH/_KEY_PATH is set`,
      missing,
    );
  }
  try {
    return { ...toServerConfig(parsed, connectorEnv), est: parseEstConfig(estEnv), scep: loadScepConfig(env) };
  } catch (error) {
    if (error instanceof EstConfigProblem) throw new ConfigError(error.message, error.variable);
    throw error;
  }
}
