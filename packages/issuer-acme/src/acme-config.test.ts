import { ConfigValidationError, configFromEnv, parseConfig, redactConfig } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { acmeConfigSchema, acmeEnvMapping } from './acme-config.js';

describe('ACME config', () => {
  it('reads the reference CERTCTL_ACME_* variables with types coerced', () => {
    const raw = configFromEnv(acmeConfigSchema, acmeEnvMapping, {
      CERTCTL_ACME_DIRECTORY_URL: 'https://acme-v02.api.letsencrypt.org/directory',
      CERTCTL_ACME_EMAIL: 'admin@example.com',
      CERTCTL_ACME_EAB_KID: 'kid',
      CERTCTL_ACME_EAB_HMAC: 'aG1hYw',
      CERTCTL_ACME_CHALLENGE_TYPE: 'dns-persist-01',
      CERTCTL_ACME_DNS_PRESENT_SCRIPT: '/etc/certctl/dns/create-record.sh',
      CERTCTL_ACME_DNS_PERSIST_ISSUER_DOMAIN: 'letsencrypt.org',
      CERTCTL_ACME_PROFILE: 'shortlived',
      CERTCTL_ACME_ARI_ENABLED: 'true',
      CERTCTL_ACME_HTTP_PORT: '8080',
    });
    const config = parseConfig(acmeConfigSchema, raw);
    expect(config).toMatchObject({
      challenge_type: 'dns-persist-01',
      profile: 'shortlived',
      ari_enabled: true,
      http_port: 8080,
      dns_propagation_wait: 30,
    });
  });

  it('marks eab_hmac secret so it is redacted', () => {
    const redacted = redactConfig(acmeConfigSchema, {
      directory_url: 'https://ca.example/dir',
      eab_kid: 'k',
      eab_hmac: 'c2VjcmV0',
    });
    expect(redacted.eab_hmac).toBe('[redacted]');
    expect(redacted.eab_kid).toBe('k');
  });

  it('names the offending key without echoing a secret value', () => {
    const error = (() => {
      try {
        parseConfig(
          acmeConfigSchema,
          { directory_url: 'https://ca.example/dir', eab_hmac: 'not base64url!!' },
          'issuer-acme',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect((error as ConfigValidationError).issues.map((i) => i.path).sort()).toEqual(['eab_hmac', 'eab_kid']);
    expect((error as Error).message).not.toContain('not base64url!!');
  });
});
