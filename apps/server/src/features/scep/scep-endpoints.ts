import { loadTrustBundle, type TrustBundle } from '../../config/trust-bundle-file.js';
import type { ScepConfig, ScepProfileConfig } from './scep-config.js';
import { createIntuneGate, type IntuneGate } from './intune-gate.js';
import { loadScepRa, type ScepRa } from './scep-ra.js';

/** A configured SCEP profile with its RA material (and Intune Connector bundle) loaded. */
export interface ScepEndpoint {
  profile: ScepProfileConfig;
  ra: ScepRa;
  intune?: IntuneGate;
  /** Client CAs of the `/scep-mtls` sibling route, re-read when the file changes. */
  mtls?: TrustBundle;
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
    const mtls = profile.mtlsTrustBundlePath ? loadMtlsBundle(profile, profile.mtlsTrustBundlePath, warn) : undefined;
    endpoints.set(profile.path, { profile, ra: loadScepRa(profile), intune, mtls });
  }
  return endpoints;
}

function loadMtlsBundle(profile: ScepProfileConfig, path: string, warn: (message: string) => void): TrustBundle {
  const variable = `${profile.prefix}MTLS_CLIENT_CA_TRUST_BUNDLE_PATH`;
  try {
    return loadTrustBundle(path, `SCEP profile ${profile.path || 'default'} mTLS client CA bundle`, warn);
  } catch (error) {
    throw new Error(`${variable}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
