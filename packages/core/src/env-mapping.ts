import type { z } from 'zod';
import { configJsonSchema, type JsonSchema } from './config-schema.js';
import { ConfigValidationError } from './errors.js';

/**
 * Environment variable name → config key path (dotted for nested keys), e.g.
 * `{ CERTCTL_ACME_DIRECTORY_URL: 'directory_url', CERTCTL_ACME_EAB_KID: 'eab_kid' }`.
 * Names are spelled out (not derived) because the reference names do not always follow the keys.
 */
export type EnvMapping = Readonly<Record<string, string>>;

/** Builds a mapping for keys whose variable is the prefix plus the upper-cased key: `envNames('CERTCTL_VAULT_', ['mount', 'role'])`. */
export function envNames(prefix: string, keys: readonly string[]): EnvMapping {
  return Object.fromEntries(keys.map((key) => [`${prefix}${key.replace(/\./g, '_').toUpperCase()}`, key]));
}

function schemaAt(root: JsonSchema, path: string[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const key of path) {
    const props = node?.properties as Record<string, JsonSchema> | undefined;
    node = props?.[key];
    if (!node) return undefined;
  }
  return node;
}

function typesOf(node: JsonSchema | undefined): string[] {
  if (!node) return [];
  const t = node.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t as string[];
  for (const k of ['anyOf', 'oneOf'] as const) {
    const list = node[k];
    if (Array.isArray(list)) return list.flatMap((child) => typesOf(child as JsonSchema));
  }
  return [];
}

function coerce(variable: string, raw: string, node: JsonSchema | undefined): unknown {
  const types = typesOf(node);
  const fail = (expected: string) =>
    new ConfigValidationError({
      issues: [{ path: variable, message: `expected ${expected}` }],
      message: `${variable}: expected ${expected}`,
    });
  if (types.includes('string')) return raw;
  if (types.includes('boolean')) {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    throw fail('true or false');
  }
  if (types.includes('integer') || types.includes('number')) {
    if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw fail('a number');
    return Number(raw);
  }
  if (types.includes('array')) {
    const itemTypes = typesOf(node?.items as JsonSchema | undefined);
    const parts = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    return itemTypes.includes('number') || itemTypes.includes('integer') ? parts.map(Number) : parts;
  }
  if (types.includes('object')) {
    try {
      return JSON.parse(raw);
    } catch {
      throw fail('a JSON object');
    }
  }
  return raw;
}

/**
 * Reads a connector config from environment variables through its mapping. Returns `undefined`
 * when none of the variables is set (the connector is not configured from the environment).
 * Values are coerced by the schema's type (booleans, numbers, comma lists); the result still has
 * to pass `parseConfig`.
 */
export function configFromEnv(
  schema: z.ZodType,
  mapping: EnvMapping | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> | undefined {
  if (!mapping) return undefined;
  const json = configJsonSchema(schema);
  const config: Record<string, unknown> = {};
  let found = false;
  for (const [variable, keyPath] of Object.entries(mapping)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    found = true;
    const path = keyPath.split('.');
    let target = config;
    for (const key of path.slice(0, -1)) {
      target[key] = (target[key] as Record<string, unknown> | undefined) ?? {};
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = coerce(variable, raw, schemaAt(json, path));
  }
  return found ? config : undefined;
}
