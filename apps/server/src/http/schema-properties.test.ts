import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from '../testing/test-issuer.js';
import { auth, KEYS, startTestServer, type TestServer } from '../testing/test-server.js';

/** The create routes of the shared resources, with the field names their schemas know. */
const CREATE_ROUTES: Record<string, string[]> = {
  '/api/v1/teams': ['name', 'description'],
  '/api/v1/owners': ['name', 'email', 'team_id'],
  '/api/v1/renewal-policies': ['name', 'renewal_window_days', 'max_retries', 'retry_interval_seconds'],
  '/api/v1/profiles': ['name', 'requires_approval', 'required_san_patterns', 'max_ttl_seconds'],
  '/api/v1/certificates': ['name', 'common_name', 'sans', 'owner_id', 'team_id', 'issuer_id', 'tags', 'csr_pem'],
  '/api/v1/issuers': ['id', 'name', 'type', 'config', 'enabled'],
  '/api/v1/notifiers': ['id', 'name', 'type', 'config', 'enabled'],
  '/api/v1/targets': ['name', 'type', 'agent_id', 'config'],
  '/api/v1/api-keys': ['name', 'role'],
};

/** List routes and the filters they take. */
const LIST_ROUTES: Record<string, string[]> = {
  '/api/v1/certificates': ['status', 'owner_id', 'team_id', 'issuer_id', 'environment', 'page', 'per_page'],
  '/api/v1/jobs': ['status', 'type', 'certificate_id', 'page', 'per_page'],
  '/api/v1/audit': ['actor', 'action', 'resource_type', 'resource_id', 'page', 'per_page'],
  '/api/v1/approvals': ['state', 'page', 'per_page'],
  '/api/v1/discovered-certificates': ['status', 'page', 'per_page'],
};

const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', '%00', '../..', 'a'.repeat(300), '1e308', '-1', '2147483648', '[]', '{}'),
);
const hostileValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);

describe('the shared schemas answer hostile values with a 4xx in the envelope, never a 5xx', () => {
  const ca = createTestCa();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database: {}, connectors: [ca.manifest] });
  });
  afterAll(() => server?.stop());

  const expectNo5xx = (response: { statusCode: number; body: string }, what: string) => {
    expect(response.statusCode, `${what}: ${response.body}`).toBeLessThan(500);
    if (response.statusCode >= 400) {
      expect(JSON.parse(response.body), what).toMatchObject({
        error: expect.any(String),
        message: expect.any(String),
        request_id: expect.any(String),
      });
    }
  };

  it('property: create bodies with any value in any known field, plus unknown fields', async () => {
    const body = fc
      .constantFrom(...Object.keys(CREATE_ROUTES))
      .chain((path) =>
        fc.tuple(
          fc.constant(path),
          fc.dictionary(fc.constantFrom(...CREATE_ROUTES[path]!), hostileValue, { maxKeys: 6 }),
          fc.dictionary(hostileString, hostileValue, { maxKeys: 2 }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(body, async ([path, known, unknown]) => {
        const payload = JSON.stringify({ ...unknown, ...known }).replace(/\\ud[89ab][0-9a-f]{2}/gi, '?');
        const response = await server.api.inject({
          method: 'POST',
          url: path,
          headers: { ...auth(KEYS.admin), 'content-type': 'application/json' },
          payload,
        });
        expectNo5xx(response, `POST ${path} ${payload}`);
      }),
      { numRuns: 150 },
    );
  });

  it('property: list filters with any value', async () => {
    const query = fc
      .constantFrom(...Object.keys(LIST_ROUTES))
      .chain((path) =>
        fc.tuple(
          fc.constant(path),
          fc.dictionary(fc.constantFrom(...LIST_ROUTES[path]!), hostileString, { maxKeys: 4 }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(query, async ([path, filters]) => {
        const search = Object.entries(filters)
          .map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '?'))}`)
          .join('&');
        const url = `${path}?${search}`;
        const response = await server.api.inject({ method: 'GET', url, headers: auth(KEYS.admin) });
        expectNo5xx(response, `GET ${url}`);
      }),
      { numRuns: 120 },
    );
  });
});
