import { z } from 'zod';
import { type ConfigIssue, ConfigValidationError } from './errors.js';
import { REDACTED, SECRET_KEYWORD } from './secret.js';

export type JsonSchema = { [key: string]: unknown };

/** The JSON Schema of a connector config (input side: defaults are optional), for API docs and forms. */
export function configJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
}

/** A path into a config object; `*` stands for any array index or record key. */
export type ConfigPath = readonly string[];

/** Paths of every field marked with `secret()`, read off the JSON Schema so nesting, arrays and unions work. */
export function secretPaths(schema: z.ZodType): ConfigPath[] {
  return jsonSchemaSecretPaths(configJsonSchema(schema));
}

/**
 * Paths of every field marked secret (`x-certctl-secret: true`) in a config JSON Schema, such as one
 * an agent reports for a target connector the server does not have. Follows local `$ref`s
 * (`#/$defs/...`, `#/definitions/...`), properties, additionalProperties, items and unions.
 */
export function jsonSchemaSecretPaths(root: JsonSchema): ConfigPath[] {
  const paths: ConfigPath[] = [];
  const defs = {
    ...((root.definitions ?? {}) as Record<string, JsonSchema>),
    ...((root.$defs ?? {}) as Record<string, JsonSchema>),
  };
  const walk = (node: unknown, path: string[], seen: Set<unknown>) => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    const s = node as JsonSchema;
    if (s[SECRET_KEYWORD] === true) {
      paths.push(path);
      return;
    }
    const next = new Set(seen).add(node);
    const ref = typeof s.$ref === 'string' ? /^#\/(?:\$defs|definitions)\/(.+)$/.exec(s.$ref)?.[1] : undefined;
    if (ref !== undefined && Object.hasOwn(defs, ref)) walk(defs[ref], path, next);
    const properties = s.properties;
    if (typeof properties === 'object' && properties !== null)
      for (const [key, child] of Object.entries(properties)) walk(child, [...path, key], next);
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      walk(s.additionalProperties, [...path, '*'], next);
    if (s.items && typeof s.items === 'object') walk(s.items, [...path, '*'], next);
    if (Array.isArray(s.prefixItems)) for (const child of s.prefixItems) walk(child, [...path, '*'], next);
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
      const list = s[k];
      if (Array.isArray(list)) for (const child of list) walk(child, path, next);
    }
  };
  walk(root, [], new Set());
  return dedupePaths(paths);
}

function dedupePaths(paths: ConfigPath[]): ConfigPath[] {
  const seen = new Set<string>();
  return paths.filter((p) => {
    const key = p.join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function mapAtPath(value: unknown, path: ConfigPath, fn: (leaf: unknown) => unknown): unknown {
  if (path.length === 0) return fn(value);
  if (typeof value !== 'object' || value === null) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) {
    if (head !== '*') return value;
    return value.map((item) => mapAtPath(item, rest, fn));
  }
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = head === '*' ? Object.keys(out) : [head];
  for (const key of keys)
    if (Object.hasOwn(out, key) && out[key] !== undefined) out[key] = mapAtPath(out[key], rest, fn);
  return out;
}

/** A copy of `config` with every secret field replaced by `[redacted]` (safe for logs and API responses). */
export function redactConfig<T>(schema: z.ZodType, config: T): T {
  return redactPaths(config, secretPaths(schema));
}

/** `redactConfig` for secret paths already known (recorded with a stored config, or read off a JSON Schema). */
export function redactPaths<T>(config: T, paths: readonly ConfigPath[]): T {
  let out: unknown = config;
  for (const path of paths)
    out = mapAtPath(out, path, (leaf) => (leaf === undefined || leaf === null ? leaf : REDACTED));
  return out as T;
}

/** Every secret string value present in `config`, so error messages and log lines can be scrubbed of them. */
export function secretValues(schema: z.ZodType, config: unknown): string[] {
  const values: string[] = [];
  const collect = (leaf: unknown) => {
    if (typeof leaf === 'string' && leaf.length > 0) values.push(leaf);
    else if (typeof leaf === 'object' && leaf !== null) for (const v of Object.values(leaf)) collect(v);
    return leaf;
  };
  for (const path of secretPaths(schema)) mapAtPath(config, path, collect);
  return values;
}

/** Applies `fn` to every secret field (the server uses it to encrypt and decrypt them at rest). */
export function mapSecrets<T>(schema: z.ZodType, config: T, fn: (value: unknown, path: ConfigPath) => unknown): T {
  return mapSecretPaths(config, secretPaths(schema), fn);
}

/** `mapSecrets` for secret paths already known; `fn` gets the path as given (with its `*`s). */
export function mapSecretPaths<T>(
  config: T,
  paths: readonly ConfigPath[],
  fn: (value: unknown, path: ConfigPath) => unknown,
): T {
  let out: unknown = config;
  for (const path of paths) out = mapAtPath(out, path, (leaf) => (leaf === undefined ? leaf : fn(leaf, path)));
  return out as T;
}

/** Replaces every occurrence of a secret value in `text` with `[redacted]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first so a secret containing another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length))
    if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * Validates a raw config against the schema: typed value out, or a ConfigValidationError whose
 * issues name each path. Values never appear in the message, so a mistyped secret is not echoed.
 */
export function parseConfig<T extends z.ZodType>(schema: T, raw: unknown, connector?: string): z.output<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: describeIssue(issue),
  }));
  throw new ConfigValidationError({ connector, issues });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown key(s): ${issue.keys.join(', ')}`;
    default:
      // zod messages describe the rule ("Too small: expected string to have >=1 characters"), not the value.
      return issue.message;
  }
}
