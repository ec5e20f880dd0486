import type { ScepConfig, ScepProfileConfig } from './scep-config.js';
import type { DynamicChallengeCheck } from './scep-enrollment.js';
import { loadScepRa, type ScepRa } from './scep-ra.js';

/** A configured SCEP profile with its RA material loaded. */
export interface ScepEndpoint {
  profile: ScepProfileConfig;
  ra: ScepRa;
  dynamicChallenge?: DynamicChallengeCheck;
}

/** Keyed by URL path segment ('' for `/scep`). Built at start-up: bad RA files stop the server. */
export type ScepEndpoints = ReadonlyMap<string, ScepEndpoint>;

export function loadScepEndpoints(
  config: ScepConfig | undefined,
  extras: (profile: ScepProfileConfig) => Partial<ScepEndpoint> = () => ({}),
): ScepEndpoints {
  const endpoints = new Map<string, ScepEndpoint>();
  for (const profile of config?.profiles ?? [])
    endpoints.set(profile.path, { profile, ra: loadScepRa(profile), ...extras(profile) });
  return endpoints;
}
