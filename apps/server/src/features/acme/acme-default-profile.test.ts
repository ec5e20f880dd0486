import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { DEFAULT_ACME_PROFILE_ID } from './acme-default-profile.js';
import { type AcmeHarness, explain, freePort, run, startAcmeHarness } from './test-support/acme-client-harness.js';

/**
 * CERTCTL_ACME_SERVER_ENABLED=true and nothing else about profiles: /acme/directory works on the
 * local CA from the first start. The other variables only point validation at loopback.
 */
describeEachDialect('the ACME server on by default', (ctx) => {
  let acme: AcmeHarness;
  let httpPort: number;
  beforeAll(async () => {
    httpPort = await freePort();
    acme = await startAcmeHarness(ctx, {
      env: {
        CERTCTL_ACME_SERVER_HTTP01_PORT: String(httpPort),
        CERTCTL_ACME_SERVER_VALIDATION_HOSTS: 'default.example.test=127.0.0.1',
        CERTCTL_ACME_SERVER_VALIDATION_ALLOW: '127.0.0.1/32',
      },
      profiles: [],
    });
  }, 120_000);
  afterAll(() => acme?.stop());

  it('lego obtains a certificate from /acme/directory after proving the name over HTTP-01', async () => {
    const profile = await call(acme.server.api, 'GET', `/api/v1/profiles/${DEFAULT_ACME_PROFILE_ID}`);
    expect(profile.status, profile.body).toBe(200);
    expect(profile.json.acme_auth_mode).toBe('challenge');

    const dir = acme.newDir('lego-default');
    const result = await run(
      'lego',
      [
        '--server',
        `${acme.server.urls.api}/acme/directory`,
        '--accept-tos',
        '--email',
        'ops@example.test',
        '--path',
        dir,
        '--domains',
        'default.example.test',
        '--http',
        '--http.port',
        `127.0.0.1:${httpPort}`,
        'run',
      ],
      { env: { LEGO_CA_CERTIFICATES: acme.caFile }, cwd: dir },
    );
    expect(result.code, explain(result)).toBe(0);
    const certFile = join(dir, 'certificates', 'default.example.test.crt');
    expect((await acme.opensslVerify(certFile, certFile)).stdout).toContain(': OK');
    const managed = await call(acme.server.api, 'GET', '/api/v1/certificates?per_page=100');
    expect(managed.json.data!.map((c) => c.common_name)).toContain('default.example.test');
  }, 90_000);
});
