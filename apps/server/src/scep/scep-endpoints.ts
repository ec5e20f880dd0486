import type { ScepConfig, ScepProfileConfig } from './scep-config.js';
import { createIntuneGate, type IntuneGate } from './intune-gate.js';
import { loadScepRa, type ScepRa } from './scep-ra.js';

/** A configured SCEP profile with its RA material (and Intune Connector bundle) loaded. */
export interface ScepEndpoint {
  profile: ScepProfileConfig;
  ra: ScepRa;
  intune?: IntuneGate;
}

/** Keyed by URL path segment ('' for `/scep`). Built at start-up: bad RA or bundle files stop the server. */
export type ScepEndpoints = ReadonlyMap<string, ScepEndpoint>;

export function loadScepEndpoints(
  config: ScepConfig | undefined,
  warn: (message: string) => void = () => {},
): ScepEndpoints {
  const endpoints = new Map<string, ScepEndpoint>();
  for (const profile of config?.profiles ?? []) {
    const intune = profile.intune
      ? createIntuneGate(profile.path || 'default', profile.intune, profile.prefix, warn)
      : undefined;
    endpoints.set(profile.path, { profile, ra: loadScepRa(profile), intune });
  }
  return endpoints;
}
