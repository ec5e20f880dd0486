/** Keys whose values are user or connector data: passed through untouched (already snake_case or free-form). */
const OPAQUE_KEYS = new Set([
  'tags',
  'config',
  'details',
  'targetConfig',
  'configSchema',
  'criteria',
  'byStatus',
  'jobs',
  'agents',
]);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Internal camelCase values → wire JSON: snake_case keys, ISO dates; converted once, at the edge. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toWire);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[snake(key)] = OPAQUE_KEYS.has(key) ? (v instanceof Date ? v.toISOString() : v) : toWire(v);
  }
  return out;
}

/** Wire body → service input: top-level keys to camelCase (nested values such as tags or config are kept). */
export function fromWire<T>(body: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [camel(k), v])) as T;
}
