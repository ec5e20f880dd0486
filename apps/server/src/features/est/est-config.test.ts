import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';

const base = { CERTCTL_DATA_DIR: '/tmp/x' };
const rejects = (env: Record<string, string>, variable: string, message: RegExp) => {
  let error: unknown;
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).variable).toBe(variable);
  expect((error as Error).message).toMatch(message);
};

describe('CERTCTL_EST_* configuration', () => {
  it('is off by default, and the legacy trio publishes one anonymous profile', () => {
    expect(loadConfig(base).est?.profiles).toEqual([]);
    const legacy = loadConfig({
      ...base,
      CERTCTL_EST_ENABLED: 'true',
      CERTCTL_EST_ISSUER_ID: 'iss-local',
      CERTCTL_EST_PROFILE_ID: 'prof-1',
    }).est!;
    expect(legacy.profiles).toEqual([
      expect.objectContaining({ pathId: '', issuerId: 'iss-local', profileId: 'prof-1', authModes: [] }),
    ]);
  });

  it('reads every per-profile variable', () => {
    const est = loadConfig({
      ...base,
      CERTCTL_EST_PROFILES: 'corp, wifi-ap',
      CERTCTL_EST_PROFILE_CORP_ISSUER_ID: 'iss-local',
      CERTCTL_EST_PROFILE_WIFI_AP_ISSUER_ID: 'iss-local',
      CERTCTL_EST_PROFILE_WIFI_AP_PROFILE_ID: 'prof-wifi',
      CERTCTL_EST_PROFILE_WIFI_AP_ALLOWED_AUTH_MODES: 'basic,mtls',
      CERTCTL_EST_PROFILE_WIFI_AP_ENROLLMENT_PASSWORD: 'long-enough-secret',
      CERTCTL_EST_PROFILE_WIFI_AP_MTLS_ENABLED: 'true',
      CERTCTL_EST_PROFILE_WIFI_AP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: '/etc/certctl/wifi-ca.pem',
      CERTCTL_EST_PROFILE_WIFI_AP_CHANNEL_BINDING_REQUIRED: 'true',
      CERTCTL_EST_PROFILE_WIFI_AP_RATE_LIMIT_PER_PRINCIPAL_24H: '3',
      CERTCTL_EST_PROFILE_WIFI_AP_SERVERKEYGEN_ENABLED: 'true',
    }).est!;
    expect(est.profiles.map((p) => p.pathId)).toEqual(['corp', 'wifi-ap']);
    expect(est.profiles[1]).toMatchObject({
      authModes: ['basic', 'mtls'],
      mtlsEnabled: true,
      channelBindingRequired: true,
      ratePerPrincipal24h: 3,
      serverKeygenEnabled: true,
      profileId: 'prof-wifi',
    });
  });

  it('rejects bad EST variables with one line naming the variable', () => {
    rejects({ CERTCTL_EST_ENABLED: 'true' }, 'CERTCTL_EST_ISSUER_ID', /required/);
    rejects({ CERTCTL_EST_ENABLED: 'maybe' }, 'CERTCTL_EST_ENABLED', /true or false/);
    rejects({ CERTCTL_EST_PROFILES: 'Corp' }, 'CERTCTL_EST_PROFILES', /lowercase/);
    rejects({ CERTCTL_EST_PROFILES: 'corp' }, 'CERTCTL_EST_PROFILE_CORP_ISSUER_ID', /required/);
    const corp = { CERTCTL_EST_PROFILES: 'corp', CERTCTL_EST_PROFILE_CORP_ISSUER_ID: 'iss-local' };
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES: 'token' },
      'CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES',
      /unknown auth mode "token"/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES: 'basic' },
      'CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD',
      /required/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES: 'mtls' },
      'CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED',
      /must be true/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED: 'true' },
      'CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH',
      /required/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_CHANNEL_BINDING_REQUIRED: 'true' },
      'CERTCTL_EST_PROFILE_CORP_CHANNEL_BINDING_REQUIRED',
      /MTLS_ENABLED/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_SERVERKEYGEN_ENABLED: 'true' },
      'CERTCTL_EST_PROFILE_CORP_PROFILE_ID',
      /required/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_CORP_RATE_LIMIT_PER_PRINCIPAL_24H: '-1' },
      'CERTCTL_EST_PROFILE_CORP_RATE_LIMIT_PER_PRINCIPAL_24H',
      /whole number/,
    );
    rejects(
      { ...corp, CERTCTL_EST_PROFILE_IOT_ISSUER_ID: 'iss-local' },
      'CERTCTL_EST_PROFILE_IOT_ISSUER_ID',
      /does not list/,
    );
    rejects({ CERTCTL_EST_BOGUS: 'x' }, 'CERTCTL_EST_BOGUS', /unknown variable/);
  });

  it('never echoes the enrollment password in an error', () => {
    try {
      loadConfig({
        ...base,
        CERTCTL_EST_PROFILES: 'corp',
        CERTCTL_EST_PROFILE_CORP_ISSUER_ID: 'i',
        CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD: 'short',
      });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('short');
      expect((error as Error).message).toContain('at least 8');
    }
  });
});
