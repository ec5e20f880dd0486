import {
  type AnyConnectorManifest,
  ConfigValidationError,
  configJsonSchema,
  type JsonSchema,
  parseConfig,
  redactConfig,
  secretValues,
} from '@certctl/core';
import { describeError, type Finding, FindingList } from './findings.js';

/** A config that must be rejected, and the dotted path the error must name. */
export interface InvalidConfigCase {
  config: unknown;
  path: string;
  /** Shown in findings, e.g. `directory_url is not a URL`. */
  description?: string;
}

export interface CheckConfigOptions {
  /** A valid config for this connector (wire form: snake_case JSON). */
  config: unknown;
  /** Extra invalid configs to try on top of the generated ones (each required key removed, wrong types). */
  invalidConfigs?: readonly InvalidConfigCase[];
}

/** Invalid variants derived from a valid config: each required top-level key removed; each string key given a number. */
export function generatedInvalidConfigs(schema: JsonSchema, config: unknown): InvalidConfigCase[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [];
  const valid = config as Record<string, unknown>;
  const cases: InvalidConfigCase[] = [];
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  for (const key of required) {
    const { [key]: _removed, ...rest } = valid;
    cases.push({ config: rest, path: key, description: `required key "${key}" missing` });
  }
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [key, node] of Object.entries(properties)) {
    if (node.type === 'string' && typeof valid[key] === 'string') {
      cases.push({
        config: { ...valid, [key]: 12345 },
        path: key,
        description: `"${key}" given a number instead of a string`,
      });
    }
  }
  return cases;
}

/**
 * The valid config parses; secret values disappear under `redactConfig`; invalid configs fail with a
 * ConfigValidationError whose issues name the offending path and whose message echoes no value.
 */
export function checkConfig(
  manifest: Pick<AnyConnectorManifest, 'kind' | 'id' | 'configSchema'>,
  options: CheckConfigOptions,
): Finding[] {
  const f = new FindingList();
  const connector = `${manifest.kind}-${manifest.id}`;
  let parsed: unknown;
  try {
    parsed = parseConfig(manifest.configSchema, options.config, connector);
  } catch (error) {
    f.add('config.valid', `the config given to the suite does not parse: ${describeError(error)}`);
    return f.items;
  }
  const secrets = secretValues(manifest.configSchema, parsed);
  const redacted = JSON.stringify(redactConfig(manifest.configSchema, parsed));
  for (const value of secrets) {
    f.check(
      !redacted.includes(value),
      'config.redaction',
      `a secret value survives redactConfig(): mark its field with secret()`,
    );
  }
  const cases = [
    ...generatedInvalidConfigs(configJsonSchema(manifest.configSchema), options.config),
    ...(options.invalidConfigs ?? []),
  ];
  for (const c of cases) {
    const label = c.description ?? `invalid config at "${c.path}"`;
    try {
      parseConfig(manifest.configSchema, c.config, connector);
      f.add('config.invalid', `${label}: was accepted, expected a ConfigValidationError naming "${c.path}"`);
    } catch (error) {
      if (!ConfigValidationError.isInstance(error)) {
        f.add('config.invalid', `${label}: threw ${describeError(error)}, expected a ConfigValidationError`);
        continue;
      }
      const named = error.issues.some(
        (i) => i.path === c.path || i.path.startsWith(`${c.path}.`) || (c.path === '' && i.path === ''),
      );
      f.check(
        named,
        'config.invalid',
        `${label}: the error names ${error.issues.map((i) => `"${i.path}"`).join(', ') || 'no path'}, expected "${c.path}"`,
      );
      for (const value of secrets) {
        f.check(
          !error.message.includes(value),
          'config.redaction',
          `${label}: the error message contains a secret value`,
        );
      }
    }
  }
  return f.items;
}
