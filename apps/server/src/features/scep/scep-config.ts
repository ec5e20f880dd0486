import { bool, durationMs } from '../../config/env-values.js';
import { z } from 'zod';
import { ConfigError } from '../../config/config-error.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';
import type { Environment } from '../../config/load-config.js';

/** One SCEP endpoint: `/scep` (the unnamed profile) or `/scep/<path>`. */
export interface ScepProfileConfig {
  /** URL segment; '' for the legacy single-profile `/scep`. */
  path: string;
  /** Prefix of its variables, for error messages: `CERTCTL_SCEP_` or `CERTCTL_SCEP_PROFILE_CORP_`. */
  prefix: string;
  issuerId: string;
  profileId?: string;
  challengePassword?: string;
  raCertPath: string;
  raKeyPath: string;
  /** Microsoft Intune dynamic challenges, when `_INTUNE_ENABLED=true`. */
  intune?: ScepIntuneConfig;
  /**
   * `_MTLS_ENABLED=true`: the PEM bundle of CAs whose client certificates may use the sibling route
   * `/scep-mtls[/<path>]` on the HTTPS listener (a device that already holds a certificate renews
   * there, bound to it, on top of the SCEP checks).
   */
  mtlsTrustBundlePath?: string;
}

/** How a profile checks challenges signed by the Intune Certificate Connector. */
export interface ScepIntuneConfig {
  /** PEM bundle of the Connector's signing certificates. */
  connectorCertPath: string;
  /** Expected `aud` claim; unset: not checked. */
  audience?: string;
  /** Longest life a challenge may have, whatever its own `exp` says. */
  challengeValidityMs: number;
  /** Tolerance on `iat`/`exp` for devices and Connectors with drifting clocks. */
  clockSkewMs: number;
  /** Enrolments per device (claim `sub` + `iss`) in any 24 hours; 0 = no limit. */
  perDeviceLimit24h: number;
}

export interface ScepConfig {
  profiles: ScepProfileConfig[];
}

const PROFILE_FIELDS = [
  'ISSUER_ID',
  'PROFILE_ID',
  'CHALLENGE_PASSWORD',
  'RA_CERT_PATH',
  'RA_KEY_PATH',
  'INTUNE_ENABLED',
  'INTUNE_CONNECTOR_CERT_PATH',
  'INTUNE_AUDIENCE',
  'INTUNE_CHALLENGE_VALIDITY',
  'INTUNE_CLOCK_SKEW_TOLERANCE',
  'INTUNE_PER_DEVICE_RATE_LIMIT_24H',
  'MTLS_ENABLED',
  'MTLS_CLIENT_CA_TRUST_BUNDLE_PATH',
] as const;
const LEGACY_ONLY = ['ENABLED', 'PROFILES'] as const;
const PATH_ID = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** True for every name this module owns, so the general loader leaves them to it. */
export function isScepVariable(name: string): boolean {
  return name.startsWith('CERTCTL_SCEP_');
}

function parseWith<T>(
  name: string,
  value: string,
  schema: {
    safeParse(v: string): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
  },
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(`${name}: ${result.error.issues[0]?.message ?? 'invalid value'}`, name);
  return result.data;
}

function readProfile(env: Environment, prefix: string, path: string): ScepProfileConfig {
  const get = (field: (typeof PROFILE_FIELDS)[number]) => {
    const value = env[`${prefix}${field}`];
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (field: (typeof PROFILE_FIELDS)[number]) => {
    const value = get(field);
    if (value === undefined)
      throw new ConfigError(
        `${prefix}${field}: required when SCEP is enabled${path ? ` for profile ${path}` : ''}`,
        `${prefix}${field}`,
      );
    return value;
  };
  const intuneEnabled =
    get('INTUNE_ENABLED') !== undefined && parseWith(`${prefix}INTUNE_ENABLED`, get('INTUNE_ENABLED')!, bool);
  const challengePassword = get('CHALLENGE_PASSWORD');
  if (!challengePassword && !intuneEnabled) {
    throw new ConfigError(
      `${prefix}CHALLENGE_PASSWORD: required (or enable ${prefix}INTUNE_ENABLED); SCEP never enrols without a challenge`,
      `${prefix}CHALLENGE_PASSWORD`,
    );
  }
  const mtlsEnabled =
    get('MTLS_ENABLED') !== undefined && parseWith(`${prefix}MTLS_ENABLED`, get('MTLS_ENABLED')!, bool);
  const mtlsTrustBundlePath = get('MTLS_CLIENT_CA_TRUST_BUNDLE_PATH');
  if (mtlsEnabled && !mtlsTrustBundlePath)
    throw new ConfigError(
      `${prefix}MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: required when ${prefix}MTLS_ENABLED is true (PEM bundle of the CAs that sign client certificates)`,
      `${prefix}MTLS_CLIENT_CA_TRUST_BUNDLE_PATH`,
    );
  return {
    path,
    prefix,
    ...(mtlsEnabled && { mtlsTrustBundlePath }),
    issuerId: required('ISSUER_ID'),
    profileId: get('PROFILE_ID'),
    challengePassword,
    raCertPath: required('RA_CERT_PATH'),
    raKeyPath: required('RA_KEY_PATH'),
    intune: intuneEnabled ? readIntune(prefix, get) : undefined,
  };
}

const wholeNumber = z.string().regex(/^\d+$/, 'expected a whole number (0 disables the limit)').transform(Number);

function readIntune(
  prefix: string,
  get: (field: (typeof PROFILE_FIELDS)[number]) => string | undefined,
): ScepIntuneConfig {
  const connectorCertPath = get('INTUNE_CONNECTOR_CERT_PATH');
  if (!connectorCertPath)
    throw new ConfigError(
      `${prefix}INTUNE_CONNECTOR_CERT_PATH: required when ${prefix}INTUNE_ENABLED is true (PEM bundle of the Intune Certificate Connector's signing certificates)`,
      `${prefix}INTUNE_CONNECTOR_CERT_PATH`,
    );
  const duration = (field: (typeof PROFILE_FIELDS)[number], fallback: number) => {
    const value = get(field);
    return value === undefined ? fallback : parseWith(`${prefix}${field}`, value, durationMs);
  };
  const limit = get('INTUNE_PER_DEVICE_RATE_LIMIT_24H');
  const config: ScepIntuneConfig = {
    connectorCertPath,
    audience: get('INTUNE_AUDIENCE'),
    challengeValidityMs: duration('INTUNE_CHALLENGE_VALIDITY', 60 * 60_000),
    clockSkewMs: duration('INTUNE_CLOCK_SKEW_TOLERANCE', 60_000),
    perDeviceLimit24h:
      limit === undefined ? 3 : parseWith(`${prefix}INTUNE_PER_DEVICE_RATE_LIMIT_24H`, limit, wholeNumber),
  };
  if (config.clockSkewMs >= config.challengeValidityMs)
    throw new ConfigError(
      `${prefix}INTUNE_CLOCK_SKEW_TOLERANCE: must be shorter than ${prefix}INTUNE_CHALLENGE_VALIDITY`,
      `${prefix}INTUNE_CLOCK_SKEW_TOLERANCE`,
    );
  return config;
}

/**
 * Reads `CERTCTL_SCEP_*`: either the legacy single profile (`CERTCTL_SCEP_ENABLED=true` and
 * `CERTCTL_SCEP_<FIELD>`, served at `/scep`) or named profiles (`CERTCTL_SCEP_PROFILES=corp,iot`
 * and `CERTCTL_SCEP_PROFILE_<NAME>_<FIELD>`, served at `/scep/<name>`). Unknown names stop start-up.
 */
export function loadScepConfig(env: Environment): ScepConfig {
  const names = Object.keys(env).filter((n) => isScepVariable(n) && env[n] !== undefined);
  const profileNames = (env.CERTCTL_SCEP_PROFILES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = new Set<string>(LEGACY_ONLY.map((f) => `CERTCTL_SCEP_${f}`));
  for (const field of PROFILE_FIELDS) known.add(`CERTCTL_SCEP_${field}`);
  for (const name of profileNames) {
    if (!PATH_ID.test(name))
      throw new ConfigError(
        `CERTCTL_SCEP_PROFILES: "${name}" is not a valid profile name (lower-case letters, digits and inner hyphens)`,
        'CERTCTL_SCEP_PROFILES',
      );
    for (const field of PROFILE_FIELDS) known.add(`CERTCTL_SCEP_PROFILE_${envName(name)}_${field}`);
  }
  for (const name of names) {
    if (!known.has(name))
      throw new ConfigError(
        `${name}: unknown SCEP variable (check its spelling, and that its profile is listed in CERTCTL_SCEP_PROFILES)`,
        name,
      );
  }
  const enabled = env.CERTCTL_SCEP_ENABLED ? parseWith('CERTCTL_SCEP_ENABLED', env.CERTCTL_SCEP_ENABLED, bool) : false;
  const profiles: ScepProfileConfig[] = [];
  if (enabled) profiles.push(readProfile(env, 'CERTCTL_SCEP_', ''));
  for (const name of profileNames) profiles.push(readProfile(env, `CERTCTL_SCEP_PROFILE_${envName(name)}_`, name));
  return { profiles };
}

/** `corp-wifi` → `CORP_WIFI` (the variable infix of a profile). */
export function envName(profile: string): string {
  return profile.toUpperCase().replace(/-/g, '_');
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    scep: ScepConfig;
  }
}

/** The SCEP endpoints' variables (parsed by `loadScepConfig`), assembled into `config.scep`. */
export const scepSettings = defineFeatureSettings({
  key: 'scep',
  variables: {},
  families: {
    owns: isScepVariable,
    documented: [
      { name: 'CERTCTL_SCEP_ENABLED', description: 'Serve one SCEP profile at /scep (legacy form).' },
      { name: 'CERTCTL_SCEP_PROFILES', description: 'Comma-separated SCEP profiles, each served at /scep/<name>.' },
      {
        name: 'CERTCTL_SCEP_<FIELD>',
        description: `Fields of the legacy profile: ${PROFILE_FIELDS.join(', ')} (see scep.md).`,
      },
      { name: 'CERTCTL_SCEP_PROFILE_<NAME>_<FIELD>', description: 'The same fields, per named profile.' },
    ],
  },
  build: (_values, raw) => loadScepConfig(raw),
});
