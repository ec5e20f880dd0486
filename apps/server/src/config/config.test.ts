import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

function configError(env: Record<string, string>, options = {}): ConfigError {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the reference defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.server.port).toBe(8443);
    expect(config.pkiHttp.port).toBe(8080);
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.database.url).toBeUndefined();
    expect(config.scheduler.renewalCheckMs).toBe(3_600_000);
  });

  it('parses named API keys with roles', () => {
    const config = loadConfig({
      CERTCTL_API_KEYS_NAMED: 'ops:0123456789abcdef:admin,ci:fedcba9876543210,dash:abcdefabcdef1234:viewer',
    });
    expect(config.auth.namedKeys).toEqual([
      { name: 'ops', key: '0123456789abcdef', role: 'admin' },
      { name: 'ci', key: 'fedcba9876543210', role: 'operator' },
      { name: 'dash', key: 'abcdefabcdef1234', role: 'viewer' },
    ]);
  });

  it('stops on an unknown CERTCTL_ variable with one line naming it', () => {
    const error = configError({ CERTCTL_SERVER_PROT: '9000' });
    expect(error.variable).toBe('CERTCTL_SERVER_PROT');
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(/^CERTCTL_SERVER_PROT: unknown variable/);
  });

  it('accepts variables owned by installed connectors and hands them on', () => {
    const config = loadConfig({ CERTCTL_VAULT_ADDR: 'https://vault' }, { connectorVariables: ['CERTCTL_VAULT_ADDR'] });
    expect(config.connectorEnv).toEqual({ CERTCTL_VAULT_ADDR: 'https://vault' });
  });

  it('refuses two API keys with the same name, without echoing either key', () => {
    const error = configError({ CERTCTL_API_KEYS_NAMED: 'ops:0123456789abcdef:admin,ops:fedcba9876543210' });
    expect(error.variable).toBe('CERTCTL_API_KEYS_NAMED');
    expect(error.message).toBe('CERTCTL_API_KEYS_NAMED: two keys are named "ops"; key names must be unique');
  });

  it('checks CERTCTL_NETWORK_ALLOW entries at start', () => {
    expect(loadConfig({ CERTCTL_NETWORK_ALLOW: '10.1.0.0/16, vault.corp,*.corp.example' }).network.allow).toEqual([
      '10.1.0.0/16',
      'vault.corp',
      '*.corp.example',
    ]);
    expect(configError({ CERTCTL_NETWORK_ALLOW: 'http://10.0.0.1/' }).variable).toBe('CERTCTL_NETWORK_ALLOW');
  });

  it('names the malformed variable without echoing a secret value', () => {
    expect(configError({ CERTCTL_SERVER_PORT: 'eighty' }).message).toBe('CERTCTL_SERVER_PORT: expected a port number');
    expect(configError({ CERTCTL_SCHEDULER_RENEWAL_CHECK_INTERVAL: 'soon' }).variable).toBe(
      'CERTCTL_SCHEDULER_RENEWAL_CHECK_INTERVAL',
    );
    const secret = configError({ CERTCTL_API_KEYS_NAMED: 'ops:short' });
    expect(secret.variable).toBe('CERTCTL_API_KEYS_NAMED');
    expect(secret.message).not.toContain('short:');
    expect(configError({ CERTCTL_DATABASE_URL: 'mysql://x' }).variable).toBe('CERTCTL_DATABASE_URL');
  });

  it('parses durations in the reference notation', () => {
    const config = loadConfig({
      CERTCTL_JOB_AWAITING_APPROVAL_TIMEOUT: '168h',
      CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: '1m30s',
    });
    expect(config.jobs.awaitingApprovalTimeoutMs).toBe(168 * 3_600_000);
    expect(config.scheduler.jobProcessorMs).toBe(90_000);
  });

  it('requires both TLS paths or neither', () => {
    expect(configError({ CERTCTL_SERVER_TLS_CERT_PATH: '/x.pem' }).variable).toBe('CERTCTL_SERVER_TLS_KEY_PATH');
  });
});
