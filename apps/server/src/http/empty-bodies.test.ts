import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { auth, KEYS, startTestServer, type TestServer } from '../testing/test-server.js';
import { servedRoutes } from './build-app.js';

describeEachDialect('an empty JSON body on an action route', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
  });
  afterAll(() => server?.stop());

  const post = (url: string, contentType: boolean) =>
    server.api.inject({
      method: 'POST',
      url,
      headers: { ...auth(KEYS.admin), ...(contentType && { 'content-type': 'application/json' }) },
      payload: contentType ? '' : undefined,
    });

  it('renews an active certificate (curl -X POST -H "Content-Type: application/json" with no -d)', async () => {
    const basics = await createBasics(server.api);
    const body = certificateBody(basics);
    const csrPem = await makeCsr(String(body.common_name), body.sans as string[]);
    const created = await call(server.api, 'POST', '/api/v1/certificates', { ...body, csr_pem: csrPem });
    expect(created.status, created.body).toBe(201);
    await server.runner.runOnce();
    const renewed = await post(`/api/v1/certificates/${created.json.id}/renew`, true);
    expect(renewed.statusCode, renewed.body).toBe(202);
    expect(JSON.parse(renewed.body).type).toBe('renewal');
  });

  it('is read as no body on every POST route: the same answer as a request without a body', async () => {
    const routes = servedRoutes(server.api)
      .filter((route) => route.startsWith('POST /api/v1/'))
      .map((route) => route.slice('POST '.length).replace(/\{[^}]+\}/g, 'no-such-id'));
    expect(routes.length).toBeGreaterThan(20);
    for (const url of routes) {
      const withoutBody = await post(url, false);
      const empty = await post(url, true);
      expect(`${url} ${empty.statusCode} ${JSON.parse(empty.body || '{}').error}`).toBe(
        `${url} ${withoutBody.statusCode} ${JSON.parse(withoutBody.body || '{}').error}`,
      );
      expect(JSON.parse(empty.body || '{}').error, url).not.toBe('invalid_json');
    }
  });

  it('still refuses a malformed JSON body', async () => {
    const bad = await server.api.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...auth(KEYS.admin), 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toBe('invalid_json');
  });
});
