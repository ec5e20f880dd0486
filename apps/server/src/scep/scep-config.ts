import { bool } from '../config/env-values.js';
import { ConfigError, type Environment } from '../config/load-config.js';

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
  if (intuneEnabled) {
    // Fail closed and say so: accepting the variables without verifying challenges would mislead.
    throw new ConfigError(
      `${prefix}INTUNE_ENABLED: Intune dynamic challenges are not available in this release; use ${prefix}CHALLENGE_PASSWORD`,
      `${prefix}INTUNE_ENABLED`,
    );
  }
  return {
    path,
    prefix,
    issuerId: required('ISSUER_ID'),
    profileId: get('PROFILE_ID'),
    challengePassword,
    raCertPath: required('RA_CERT_PATH'),
    raKeyPath: required('RA_KEY_PATH'),
  };
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
