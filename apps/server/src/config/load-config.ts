import { z } from 'zod';
import { SERVER_FEATURES } from '../features/index.js';
import { ConfigError } from './config-error.js';
import type { AnyFeatureSettings, FeatureConfigs } from './feature-settings.js';
import { AGENT_VARIABLES, REFERENCE_VARIABLES, closestName } from './reference-variables.js';
import { SERVER_VARIABLES, type ServerConfig, envSchema, toCoreConfig } from './server-config.js';

export { ConfigError };

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
  /** The features whose settings are read; default: every feature of the server. */
  featureSettings?: readonly AnyFeatureSettings[];
}

/** The settings of every server feature, in the order of `SERVER_FEATURES`. */
export function serverFeatureSettings(): AnyFeatureSettings[] {
  return SERVER_FEATURES.flatMap((feature) => (feature.settings ? [feature.settings] : []));
}

function owns(settings: AnyFeatureSettings, name: string): boolean {
  return Object.hasOwn(settings.variables, name) || (settings.families?.owns(name) ?? false);
}

function firstIssue(error: z.ZodError): ConfigError {
  const issue = error.issues[0]!;
  const variable = String(issue.path[0] ?? '');
  return new ConfigError(`${variable}: ${issue.message}`, variable);
}

/**
 * Parses every `CERTCTL_*` variable once: the core's, then each feature's (into `config[key]`).
 * An unknown name or a malformed value throws a ConfigError naming the variable (never echoing its
 * value, which may be a secret).
 */
export function loadConfig(env: Environment, options: LoadConfigOptions = {}): ServerConfig {
  const features = options.featureSettings ?? serverFeatureSettings();
  const connectorVariables = new Set(options.connectorVariables ?? []);
  const own: Record<string, string> = {};
  const connectorEnv: Record<string, string> = {};
  const featureEnv = features.map(() => ({}) as Record<string, string>);
  const notRead: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CERTCTL_') || value === undefined) continue;
    const owner = features.findIndex((settings) => owns(settings, name));
    if (Object.hasOwn(SERVER_VARIABLES, name)) {
      if (value !== '') own[name] = value;
    } else if (owner >= 0) {
      featureEnv[owner]![name] = value;
    } else if (connectorVariables.has(name)) {
      connectorEnv[name] = value;
    } else if (REFERENCE_VARIABLES.has(name)) {
      if (!AGENT_VARIABLES.has(name)) notRead.push(name);
    } else {
      const known = [
        ...Object.keys(SERVER_VARIABLES),
        ...features.flatMap((settings) => Object.keys(settings.variables)),
        ...connectorVariables,
        ...REFERENCE_VARIABLES,
      ];
      const guess = closestName(name, known);
      throw new ConfigError(
        `${name}: unknown variable (not read by certctl-server or any installed connector); ${guess ? `did you mean ${guess}? ` : ''}remove it or check its spelling`,
        name,
      );
    }
  }
  const result = envSchema.safeParse(own);
  if (!result.success) throw firstIssue(result.error);
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
  if (parsed.CERTCTL_METRICS_TOKEN && !parsed.CERTCTL_METRICS_LISTEN)
    throw new ConfigError(
      'CERTCTL_METRICS_TOKEN: protects the CERTCTL_METRICS_LISTEN listener; set that too (on the API, /metrics takes an API key)',
      'CERTCTL_METRICS_TOKEN',
    );
  const core = { ...toCoreConfig(parsed, connectorEnv), referenceVariablesNotRead: notRead.sort() };
  const featureConfigs: Partial<Record<keyof FeatureConfigs, unknown>> = {};
  features.forEach((settings, index) => {
    const raw = featureEnv[index]!;
    const fixed = Object.fromEntries(
      Object.entries(raw).filter(([name, value]) => Object.hasOwn(settings.variables, name) && value !== ''),
    );
    const values = z.object(settings.variables).safeParse(fixed);
    if (!values.success) throw firstIssue(values.error);
    featureConfigs[settings.key] = settings.build(values.data, raw);
  });
  // Each feature's key and type come from its own `FeatureConfigs` augmentation and `build`.
  return { ...core, ...(featureConfigs as unknown as FeatureConfigs) };
}

/** The one line logged at start for reference variables this server does not implement (yet). */
export function referenceVariablesWarning(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `ignoring ${names.length} variable${names.length === 1 ? '' : 's'} of the reference configuration that certctl-server does not implement yet (or whose connector is not installed): ${names.join(', ')}`;
}
