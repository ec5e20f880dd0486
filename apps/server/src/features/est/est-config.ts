import { bool } from '../../config/env-values.js';
import { ConfigError } from '../../config/config-error.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';

export type EstAuthMode = 'basic' | 'mtls';

/** One EST endpoint: `/.well-known/est/<pathId>/` (pathId '' = the legacy single profile at `/.well-known/est/`). */
export interface EstProfileConfig {
  /** Lowercase path segment; '' for the legacy single profile. */
  pathId: string;
  issuerId: string;
  /** certctl certificate profile that gates the CSR (key, EKUs, SAN patterns, TTL). */
  profileId?: string;
  /** Empty = anonymous enrollment. */
  authModes: EstAuthMode[];
  enrollmentPassword?: string;
  mtlsEnabled: boolean;
  mtlsTrustBundlePath?: string;
  channelBindingRequired: boolean;
  /** Enrollments per (CN, source IP) in any rolling 24 h; 0 = unlimited. */
  ratePerPrincipal24h: number;
  serverKeygenEnabled: boolean;
}

export interface EstConfig {
  profiles: EstProfileConfig[];
  /** Server-side key generations per minute across all profiles (RSA keygen is a DoS surface). */
  serverKeygenPerMinute: number;
}

/** A bad `CERTCTL_EST_*` variable; load-config turns it into its ConfigError. */
export class EstConfigProblem extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'EstConfigProblem';
  }
}

const PATH_ID = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const LEGACY = ['CERTCTL_EST_ENABLED', 'CERTCTL_EST_ISSUER_ID', 'CERTCTL_EST_PROFILE_ID'] as const;
const PER_PROFILE = [
  'ISSUER_ID',
  'PROFILE_ID',
  'ALLOWED_AUTH_MODES',
  'ENROLLMENT_PASSWORD',
  'MTLS_ENABLED',
  'MTLS_CLIENT_CA_TRUST_BUNDLE_PATH',
  'CHANNEL_BINDING_REQUIRED',
  'RATE_LIMIT_PER_PRINCIPAL_24H',
  'SERVERKEYGEN_ENABLED',
] as const;
type PerProfileField = (typeof PER_PROFILE)[number];

/** Names this module reads: the fixed ones, and every `CERTCTL_EST_PROFILE_<NAME>_<FIELD>`. */
export function isEstVariable(name: string): boolean {
  if (
    name === 'CERTCTL_EST_PROFILES' ||
    name === 'CERTCTL_EST_SERVERKEYGEN_RATE_PER_MINUTE' ||
    (LEGACY as readonly string[]).includes(name)
  )
    return true;
  return name.startsWith('CERTCTL_EST_PROFILE_') && PER_PROFILE.some((field) => name.endsWith(`_${field}`));
}

function flag(env: Record<string, string>, variable: string): boolean {
  const value = env[variable];
  if (value === undefined || value === '') return false;
  const parsed = bool.safeParse(value);
  if (!parsed.success) throw new EstConfigProblem(variable, 'expected true or false');
  return parsed.data;
}

function count(env: Record<string, string>, variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new EstConfigProblem(variable, 'expected a whole number');
  return Number(value);
}

function profileFromEnv(env: Record<string, string>, pathId: string, prefix: string): EstProfileConfig {
  const v = (field: PerProfileField) => `${prefix}${field}`;
  const issuerId = env[v('ISSUER_ID')];
  if (!issuerId)
    throw new EstConfigProblem(
      v('ISSUER_ID'),
      'required for every EST profile (the issuer that signs its certificates)',
    );
  const authModes: EstAuthMode[] = [];
  for (const mode of (env[v('ALLOWED_AUTH_MODES')] ?? '')
    .split(',')
    .map((m) => m.trim().toLowerCase())
    .filter(Boolean)) {
    if (mode !== 'basic' && mode !== 'mtls')
      throw new EstConfigProblem(
        v('ALLOWED_AUTH_MODES'),
        `unknown auth mode "${mode}" (expected basic, mtls, or empty for anonymous)`,
      );
    if (!authModes.includes(mode)) authModes.push(mode);
  }
  const profile: EstProfileConfig = {
    pathId,
    issuerId,
    profileId: env[v('PROFILE_ID')] || undefined,
    authModes,
    enrollmentPassword: env[v('ENROLLMENT_PASSWORD')] || undefined,
    mtlsEnabled: flag(env, v('MTLS_ENABLED')),
    mtlsTrustBundlePath: env[v('MTLS_CLIENT_CA_TRUST_BUNDLE_PATH')] || undefined,
    channelBindingRequired: flag(env, v('CHANNEL_BINDING_REQUIRED')),
    ratePerPrincipal24h: count(env, v('RATE_LIMIT_PER_PRINCIPAL_24H'), 0),
    serverKeygenEnabled: flag(env, v('SERVERKEYGEN_ENABLED')),
  };
  if (authModes.includes('basic') && !profile.enrollmentPassword)
    throw new EstConfigProblem(v('ENROLLMENT_PASSWORD'), 'required when ALLOWED_AUTH_MODES lists basic');
  if (profile.enrollmentPassword && profile.enrollmentPassword.length < 8)
    throw new EstConfigProblem(v('ENROLLMENT_PASSWORD'), 'expected at least 8 characters');
  if (authModes.includes('mtls') && !profile.mtlsEnabled)
    throw new EstConfigProblem(v('MTLS_ENABLED'), 'must be true when ALLOWED_AUTH_MODES lists mtls');
  if (profile.mtlsEnabled && !profile.mtlsTrustBundlePath)
    throw new EstConfigProblem(v('MTLS_CLIENT_CA_TRUST_BUNDLE_PATH'), 'required when MTLS_ENABLED is true');
  if (profile.channelBindingRequired && !profile.mtlsEnabled)
    throw new EstConfigProblem(
      v('CHANNEL_BINDING_REQUIRED'),
      'needs MTLS_ENABLED=true (channel binding is checked on the mTLS route)',
    );
  if (profile.serverKeygenEnabled && !profile.profileId)
    throw new EstConfigProblem(
      v('PROFILE_ID'),
      'required when SERVERKEYGEN_ENABLED is true (the profile decides the key algorithm)',
    );
  return profile;
}

/**
 * Parses the `CERTCTL_EST_*` variables (only those, as strings). `CERTCTL_EST_PROFILES` selects the
 * multi-profile form; without it the legacy `CERTCTL_EST_ENABLED/_ISSUER_ID/_PROFILE_ID` trio
 * publishes one anonymous profile at `/.well-known/est/`.
 */
export function parseEstConfig(env: Record<string, string>): EstConfig {
  const serverKeygenPerMinute = count(env, 'CERTCTL_EST_SERVERKEYGEN_RATE_PER_MINUTE', 10);
  const names = (env.CERTCTL_EST_PROFILES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const profiles: EstProfileConfig[] = [];
  if (names.length > 0) {
    for (const name of names) {
      if (!PATH_ID.test(name))
        throw new EstConfigProblem(
          'CERTCTL_EST_PROFILES',
          `profile name "${name}" must be lowercase letters, digits and inner hyphens`,
        );
      if (profiles.some((p) => p.pathId === name))
        throw new EstConfigProblem('CERTCTL_EST_PROFILES', `profile "${name}" is listed twice`);
      profiles.push(profileFromEnv(env, name, `CERTCTL_EST_PROFILE_${name.toUpperCase().replaceAll('-', '_')}_`));
    }
  } else if (flag(env, 'CERTCTL_EST_ENABLED')) {
    const issuerId = env.CERTCTL_EST_ISSUER_ID;
    if (!issuerId) throw new EstConfigProblem('CERTCTL_EST_ISSUER_ID', 'required when CERTCTL_EST_ENABLED is true');
    profiles.push({
      pathId: '',
      issuerId,
      profileId: env.CERTCTL_EST_PROFILE_ID || undefined,
      authModes: [],
      mtlsEnabled: false,
      channelBindingRequired: false,
      ratePerPrincipal24h: 0,
      serverKeygenEnabled: false,
    });
  }
  // A per-profile variable for a profile that is not listed is a typo that would silently do nothing.
  const prefixes = profiles
    .filter((p) => p.pathId)
    .map((p) => `CERTCTL_EST_PROFILE_${p.pathId.toUpperCase().replaceAll('-', '_')}_`);
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('CERTCTL_EST_PROFILE_') || variable === 'CERTCTL_EST_PROFILE_ID') continue;
    if (
      !prefixes.some(
        (prefix) =>
          variable.startsWith(prefix) && (PER_PROFILE as readonly string[]).includes(variable.slice(prefix.length)),
      )
    ) {
      throw new EstConfigProblem(variable, 'names an EST profile that CERTCTL_EST_PROFILES does not list');
    }
  }
  return { profiles, serverKeygenPerMinute };
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    est: EstConfig;
  }
}

/** The EST endpoints' variables (parsed by `parseEstConfig`), assembled into `config.est`. */
export const estSettings = defineFeatureSettings({
  key: 'est',
  variables: {},
  families: {
    owns: isEstVariable,
    documented: [
      {
        name: 'CERTCTL_EST_ENABLED',
        description: 'Serve one anonymous EST profile at /.well-known/est/ (legacy form).',
      },
      {
        name: 'CERTCTL_EST_ISSUER_ID',
        description: 'Issuer of the legacy profile (required with CERTCTL_EST_ENABLED).',
      },
      { name: 'CERTCTL_EST_PROFILE_ID', description: 'Certificate profile that gates the legacy profile’s CSRs.' },
      {
        name: 'CERTCTL_EST_PROFILES',
        description: 'Comma-separated EST profiles, each served at /.well-known/est/<name>/.',
      },
      {
        name: 'CERTCTL_EST_SERVERKEYGEN_RATE_PER_MINUTE',
        description: 'Server-side key generations per minute across all profiles (default 10).',
      },
      {
        name: 'CERTCTL_EST_PROFILE_<NAME>_<FIELD>',
        description: `Per profile: ${PER_PROFILE.join(', ')} (see est.md).`,
      },
    ],
  },
  build(_values, raw) {
    try {
      return parseEstConfig({ ...raw });
    } catch (error) {
      if (error instanceof EstConfigProblem) throw new ConfigError(error.message, error.variable);
      throw error;
    }
  },
});
