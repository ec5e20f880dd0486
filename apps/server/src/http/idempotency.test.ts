import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, certificateBody, createBasics, makeCsr } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { auth, KEYS, startTestServer, type TestServer } from '../testing/test-server.js';

describeEachDialect('POST /api/v1/certificates with an Idempotency-Key', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api);
  });
  afterAll(() => server?.stop());

  const post = (body: unknown, key: string | undefined, apiKey: string = KEYS.alice) =>
    server.api.inject({
      method: 'POST',
      url: '/api/v1/certificates',
      headers: {
        ...auth(apiKey),
        'content-type': 'application/json',
        ...(key !== undefined && { 'idempotency-key': key }),
      },
      payload: JSON.stringify(body),
    });
  const total = async () =>
    Number(
      JSON.parse(
        (await server.api.inject({ method: 'GET', url: '/api/v1/certificates', headers: auth(KEYS.admin) })).body,
      ).total,
    );

  it('a retry with the same key and body gets the first answer and creates nothing more', async () => {
    const body = certificateBody(basics);
    const withCsr = { ...body, csr_pem: await makeCsr(String(body.common_name)) };
    const before = await total();
    const key = `retry-${ctx.dialect}-1`;
    const first = await post(withCsr, key);
    expect(first.statusCode, first.body).toBe(201);
    // The same body with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(withCsr).reverse());
    const again = await post(reordered, key);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
    expect(await total()).toBe(before + 1);
    // Keys belong to their caller: bob's request with alice's key string is his own.
    const bobs = await post({ ...certificateBody(basics) }, key, KEYS.bob);
    expect(bobs.statusCode, bobs.body).toBe(201);
    expect(bobs.headers['idempotent-replayed']).toBeUndefined();
    expect(await total()).toBe(before + 2);
  });

  it('the same key with another body is a 422 in the envelope, and changes nothing', async () => {
    const key = `retry-${ctx.dialect}-2`;
    const first = await post(certificateBody(basics), key);
    expect(first.statusCode, first.body).toBe(201);
    const before = await total();
    const other = await post(certificateBody(basics), key);
    expect(other.statusCode).toBe(422);
    expect(JSON.parse(other.body)).toMatchObject({ error: 'idempotency_key_reused', request_id: expect.any(String) });
    expect(await total()).toBe(before);
  });

  it('a refused request keeps no record: the retry with the same key runs again; a malformed key is a 400', async () => {
    const key = `retry-${ctx.dialect}-3`;
    const refused = await post({ ...certificateBody(basics), issuer_id: 'no-such-issuer' }, key);
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.statusCode).toBeLessThan(500);
    const fixed = await post(certificateBody(basics), key);
    expect(fixed.statusCode, fixed.body).toBe(201);
    const bad = await post(certificateBody(basics), 'has space');
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toBe('bad_request');
  });
});
