import { afterAll, beforeAll, expect, it } from 'vitest';
import { ISSUER_ID, type ScepFixture, startScepServer } from '../features/scep/test-support/scep-fixture.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { lintOpenApiDocument } from '../testing/openapi-lint.js';
import { auth, KEYS } from '../testing/test-server.js';
import { servedRoutes } from './build-app.js';

describeEachDialect('protocol endpoints are route specs like the API', (ctx) => {
  let scep: ScepFixture;
  beforeAll(async () => {
    scep = await startScepServer(ctx, {
      CERTCTL_ACME_SERVER_ENABLED: 'true',
      CERTCTL_EST_PROFILES: 'corp',
      CERTCTL_EST_PROFILE_CORP_ISSUER_ID: ISSUER_ID,
    });
  });
  afterAll(() => scep?.stop());

  it('documents every ACME, EST and SCEP route the HTTPS listener serves, and serves every documented one', async () => {
    const doc = await scep.server.api.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const spec = JSON.parse(doc.body) as { paths: Record<string, Record<string, { operationId: string }>> };
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, id: op.operationId })),
    );
    const documented = operations.map((o) => o.route);
    const served = servedRoutes(scep.server.api);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
    expect(documented.filter((route) => !served.includes(route))).toEqual([]);
    expect(new Set(operations.map((o) => o.id)).size).toBe(operations.length);
    for (const route of [
      'GET /acme/directory',
      'HEAD /acme/profile/{profile}/new-nonce',
      'POST /acme/profile/{profile}/new-order',
      'GET /.well-known/est/corp/cacerts',
      'POST /.well-known/est/corp/simpleenroll',
      'GET /scep',
      'POST /scep/{profile}',
    ])
      expect(documented).toContain(route);
  });

  it('serves a document Redocly lints clean: named schemas, security on every operation, servers, license', async () => {
    const doc = JSON.parse((await scep.server.api.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body);
    expect(await lintOpenApiDocument(doc)).toEqual([]);
    expect(doc.info.license).toEqual({ name: 'Apache-2.0', identifier: 'Apache-2.0' });
    expect(doc.servers).toHaveLength(1);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Certificate', 'Issuer', 'Job', 'Agent', 'Target', 'Error', 'Notification']),
    );
    expect(doc.paths['/api/v1/certificates/{id}'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Certificate',
    });
    expect(doc.paths['/health'].get.security).toEqual([]);
    // The OCSP GET's rest-of-path parameter is a named path parameter, not a wildcard.
    const ocsp = doc.paths['/.well-known/pki/ocsp/{issuer_id}/{request}'].get;
    expect(ocsp.parameters.map((p: { name: string }) => p.name)).toEqual(['issuer_id', 'request']);
    expect(Object.keys(doc.paths).some((path) => path.includes('*'))).toBe(false);
  });

  it('refuses a broken document in the lint (the check can fail)', async () => {
    const problems = await lintOpenApiDocument({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: {} });
    expect(problems.join('\n')).toContain('no-empty-servers');
  });

  it("keeps each protocol's body parsing to its own routes", async () => {
    const json = await scep.server.api.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...auth(KEYS.admin), 'content-type': 'application/x-pki-message' },
      payload: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]),
    });
    expect(json.statusCode).toBe(415);
    const acme = await scep.server.api.inject({
      method: 'POST',
      url: '/acme/profile/nope/new-account',
      headers: { 'content-type': 'application/jose+json' },
      payload: '{}',
    });
    expect(acme.headers['content-type']).toContain('application/problem+json');
  });
});
