import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('CERTCTL_ACME_SERVER_* configuration', () => {
  it('is off by default with the reference defaults', () => {
    const { acmeServer } = loadConfig({});
    expect(acmeServer).toMatchObject({
      enabled: false,
      issuerId: 'iss-local',
      nonceTtlMs: 300_000,
      http01Port: 80,
      tlsAlpn01Port: 443,
      eabRequired: false,
      eabKeys: [],
      ordersPerHour: 100,
    });
  });

  it('parses EAB keys, validation host pins and the resolver', () => {
    const { acmeServer } = loadConfig({
      CERTCTL_ACME_SERVER_ENABLED: 'true',
      CERTCTL_ACME_SERVER_EAB_KEYS: 'ops:c2VjcmV0LWhtYWMta2V5LWZvci1hY21l, web:YW5vdGhlci1obWFjLWtleS12YWx1ZQ',
      CERTCTL_ACME_SERVER_VALIDATION_HOSTS: 'App.Example.test=127.0.0.1',
      CERTCTL_ACME_SERVER_DNS_RESOLVER: '10.0.0.53:53',
    });
    expect(acmeServer.eabKeys.map((k) => k.kid)).toEqual(['ops', 'web']);
    expect(acmeServer.validationHosts).toEqual({ 'app.example.test': '127.0.0.1' });
    expect(acmeServer.dnsResolver).toBe('10.0.0.53:53');
  });

  it('names the malformed variable without echoing a key', () => {
    const error = failure({ CERTCTL_ACME_SERVER_EAB_KEYS: 'ops:short' });
    expect(error.variable).toBe('CERTCTL_ACME_SERVER_EAB_KEYS');
    expect(error.message).not.toContain('short');
    expect(failure({ CERTCTL_ACME_SERVER_VALIDATION_HOSTS: 'nohost' }).variable).toBe(
      'CERTCTL_ACME_SERVER_VALIDATION_HOSTS',
    );
    expect(failure({ CERTCTL_ACME_SERVER_NONCE_TTL: 'soon' }).variable).toBe('CERTCTL_ACME_SERVER_NONCE_TTL');
  });
});
