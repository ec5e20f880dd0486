import type { z } from 'zod';

/**
 * The parsed settings of every feature, one key per feature (`config.acmeServer`, `config.est`, ...).
 * Empty here: each feature adds its key by augmenting this interface next to its settings, so a new
 * feature adds settings without editing `config/`:
 *
 *     declare module '../../config/feature-settings.js' {
 *       interface FeatureConfigs { acmeServer: AcmeServerConfig }
 *     }
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by each feature's settings module
export interface FeatureConfigs {}

/** One documented name of a family a feature parses itself (`CERTCTL_EST_PROFILE_<NAME>_<FIELD>`). */
export interface DocumentedVariable {
  name: string;
  description: string;
}

/**
 * The `CERTCTL_*` variables one feature reads. The loader gives each variable to the feature that
 * declares it, parses `variables` with their zod schemas (empty values count as unset), and calls
 * `build` with the parsed values and the raw strings of every name the feature owns.
 */
export interface FeatureSettings<
  K extends keyof FeatureConfigs = keyof FeatureConfigs,
  V extends Record<string, z.ZodType> = Record<string, z.ZodType>,
> {
  /** Where the result lands in the server's config (`config[key]`). */
  key: K;
  /** Fixed names: a zod schema from the string (with `.describe('...')` last: the docs table's text). */
  variables: V;
  /** Names the feature parses itself (per-profile families); `documented` feeds the docs table. */
  families?: { owns(name: string): boolean; documented: readonly DocumentedVariable[] };
  /** The feature's config. Throw a ConfigError naming the variable for anything wrong. */
  build(values: z.output<z.ZodObject<V>>, raw: Readonly<Record<string, string>>): FeatureConfigs[K];
}

/** Identity helper that keeps the key and the variables' types. */
export function defineFeatureSettings<K extends keyof FeatureConfigs, V extends Record<string, z.ZodType>>(
  settings: FeatureSettings<K, V>,
): FeatureSettings<K, V> {
  return settings;
}

/** Any feature's settings, as the loader sees them. */
export type AnyFeatureSettings = {
  key: keyof FeatureConfigs;
  variables: Record<string, z.ZodType>;
  families?: { owns(name: string): boolean; documented: readonly DocumentedVariable[] };
  // biome-ignore lint/suspicious/noExplicitAny: each feature's build takes its own parsed shape
  build(values: any, raw: Readonly<Record<string, string>>): unknown;
};
