import type { z } from 'zod';

/**
 * Keys whose values are user or connector data, or documents stored in their wire form (a job's
 * `verification`): passed through untouched (already snake_case or free-form).
 */
const OPAQUE_KEY_LIST = [
  'tags',
  'config',
  'details',
  'targetConfig',
  'configSchema',
  'criteria',
  'byStatus',
  'jobs',
  'agents',
  'verification',
  'deployMetadata',
] as const;
type OpaqueKey = (typeof OPAQUE_KEY_LIST)[number];
const OPAQUE_KEYS: ReadonlySet<string> = new Set(OPAQUE_KEY_LIST);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The type-level `camel`: `created_at` → `createdAt`. */
export type CamelKey<K extends string> = K extends `${infer Head}_${infer C}${infer Rest}`
  ? `${Head}${Uppercase<C>}${CamelKey<Rest>}`
  : K;

/** Brand of the `timestamp` schema: the handler may hand over a Date, the wire carries RFC 3339 text. */
export type TimestampBrand = z.core.$brand<'Timestamp'>;

/**
 * The internal value whose `toWire` form is the wire value `T`: the inverse of `toWire` at the type
 * level (camelCase keys, Dates for timestamps, opaque values untouched). Route handlers are typed
 * with it, so a handler that returns a wrong shape does not compile.
 */
export type InternalOf<T> = T extends TimestampBrand
  ? Date | string
  : T extends string | number | boolean | bigint | null | undefined
    ? T
    : T extends readonly (infer E)[]
      ? readonly InternalOf<E>[]
      : T extends object
        ? {
            [K in keyof T as K extends string ? CamelKey<K> : K]: K extends string
              ? CamelKey<K> extends OpaqueKey
                ? T[K]
                : InternalOf<T[K]>
              : T[K];
          }
        : T;

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
