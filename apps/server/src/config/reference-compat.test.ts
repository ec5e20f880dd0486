import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, referenceVariablesWarning } from './index.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('an env file written for the reference', () => {
  it('starts, naming each reference variable not implemented here in one warning line', () => {
    const config = loadConfig({
      CERTCTL_SERVER_PORT: '9443',
      CERTCTL_KEYGEN_MODE: 'agent',
      CERTCTL_AUDIT_FLUSH_TIMEOUT_SECONDS: '30',
      CERTCTL_NETWORK_SCAN_ENABLED: 'true',
      CERTCTL_DIGICERT_API_KEY: 'not-installed-here',
    });
    expect(config.server.port).toBe(9443);
    expect(config.referenceVariablesNotRead).toEqual([
      'CERTCTL_AUDIT_FLUSH_TIMEOUT_SECONDS',
      'CERTCTL_DIGICERT_API_KEY',
      'CERTCTL_KEYGEN_MODE',
      'CERTCTL_NETWORK_SCAN_ENABLED',
    ]);
    const line = referenceVariablesWarning(config.referenceVariablesNotRead)!;
    expect(line.split('\n')).toHaveLength(1);
    for (const name of config.referenceVariablesNotRead) expect(line).toContain(name);
    expect(line).not.toContain('not-installed-here');
    expect(referenceVariablesWarning(loadConfig({}).referenceVariablesNotRead)).toBeUndefined();
  });

  it('accepts the agent’s reference variables without a warning (one env file for both)', () => {
    const config = loadConfig({
      CERTCTL_SERVER_URL: 'https://certctl:8443',
      CERTCTL_DEPLOY_BACKUP_RETENTION: '5',
      CERTCTL_VERIFY_DEPLOYMENT: 'false',
      CERTCTL_VERIFY_TIMEOUT: '5s',
      CERTCTL_VERIFY_DELAY: '1s',
    });
    expect(config.referenceVariablesNotRead).toEqual([]);
  });

  it('still refuses a name that is neither ours nor the reference’s, suggesting the closest', () => {
    const typo = configError({ CERTCTL_SERVER_PROT: '9000' });
    expect(typo.variable).toBe('CERTCTL_SERVER_PROT');
    expect(typo.message).toMatch(/did you mean CERTCTL_SERVER_PORT\?/);
    const referenceTypo = configError({ CERTCTL_KEYGEN_MOD: 'agent' });
    expect(referenceTypo.message).toMatch(/did you mean CERTCTL_KEYGEN_MODE\?/);
    const nothingClose = configError({ CERTCTL_COMPLETELY_DIFFERENT_THING: 'x' });
    expect(nothingClose.message).not.toContain('did you mean');
  });

  it('reads the per-user rate limits, defaulting to the general ones', () => {
    expect(loadConfig({ CERTCTL_RATE_LIMIT_RPS: '7' }).http.rateLimit.perUser).toEqual({ rps: 7, burst: 100 });
    expect(
      loadConfig({ CERTCTL_RATE_LIMIT_PER_USER_RPS: '2', CERTCTL_RATE_LIMIT_PER_USER_BURST: '4' }).http.rateLimit
        .perUser,
    ).toEqual({ rps: 2, burst: 4 });
    expect(configError({ CERTCTL_RATE_LIMIT_PER_USER_BURST: '0' }).variable).toBe('CERTCTL_RATE_LIMIT_PER_USER_BURST');
  });
});
