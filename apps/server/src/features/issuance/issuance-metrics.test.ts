import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('issuance metrics', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    // One attempt: the CA's first failure is final and counted.
    basics = await createBasics(server.api, { max_retries: 1 });
  });
  afterAll(() => server?.stop());

  const issue = async () => {
    const body = certificateBody(basics);
    await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    await server.runner.runOnce();
  };

  it('labels issuance outcomes with the issuer type, failures as well as successes', async () => {
    ca.control.failNext = 1;
    await issue();
    await issue();
    const metrics = (await call(server.api, 'GET', '/metrics')).body;
    const lines = metrics.split('\n').filter((line) => line.startsWith('certctl_issuance_total{'));
    expect(lines).toContain('certctl_issuance_total{issuer_type="test-ca",outcome="failed"} 1');
    expect(lines).toContain('certctl_issuance_total{issuer_type="test-ca",outcome="issued"} 1');
    expect(metrics).not.toContain(`issuer_type="${basics.issuerId}"`);
  });
});
