import { afterAll, expect, it } from 'vitest';
import { ConfigError } from '../config/index.js';
import { call } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describeEachDialect('issuers seeded from CERTCTL_<VENDOR>_* variables', (ctx) => {
  const ca = createTestCa();
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it("creates iss-<connector> from the manifest's env mapping, secrets encrypted, and follows the environment on restart", async () => {
    const first = await startTestServer({ database: ctx, connectors: [ca.manifest], env: { CERTCTL_TESTCA_LABEL: 'from-env', CERTCTL_TESTCA_API_TOKEN: 'env-secret-token-123' } });
    servers.push(first);
    const issuer = await call(first.api, 'GET', '/api/v1/issuers/iss-test-ca');
    expect(issuer.json).toMatchObject({ source: 'env', type: 'test-ca', config: { label: 'from-env', api_token: '[redacted]' } });
    const row = await first.deps.db.selectFrom('issuers').select('config').where('id', '=', 'iss-test-ca').executeTakeFirstOrThrow();
    expect(JSON.stringify(row.config)).not.toContain('env-secret-token-123');
    await first.stop();
    servers.pop();
    const second = await startTestServer({ database: ctx, connectors: [ca.manifest], env: { CERTCTL_TESTCA_LABEL: 'changed' } });
    servers.push(second);
    expect((await call(second.api, 'GET', '/api/v1/issuers/iss-test-ca')).json.config).toEqual({ label: 'changed' });
  });

  it('stops start-up on a variable no installed connector reads', async () => {
    await expect(startTestServer({ database: ctx, connectors: [ca.manifest], env: { CERTCTL_TESTCA_LABLE: 'typo' } })).rejects.toThrow(ConfigError);
  });
});
