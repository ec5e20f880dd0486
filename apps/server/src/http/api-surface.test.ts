import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { servedRoutes } from './build-app.js';
import { KEYS, startTestServer, type TestServer } from '../testing/test-server.js';

describeEachDialect('HTTP surface: auth, headers, OpenAPI, issuers, agents', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      env: {
        CERTCTL_RATE_LIMIT_RPS: '1',
        CERTCTL_RATE_LIMIT_BURST: '1000',
        CERTCTL_MAX_BODY_SIZE: '4096',
        CERTCTL_CORS_ORIGINS: 'https://dash.example.com',
        CERTCTL_AGENT_BOOTSTRAP_TOKEN: 'bootstrap-token-0123456789',
      },
    });
  });
  afterAll(() => server?.stop());

  it('documents every route in the OpenAPI 3.1 document', async () => {
    const doc = await server.api.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const spec = JSON.parse(doc.body) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(spec.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const served = servedRoutes(server.api);
    expect(served.length).toBeGreaterThan(50);
    const undocumented = served.filter((r) => !documented.has(r) && r !== 'GET /api/v1/openapi.json');
    expect(undocumented).toEqual([]);
    for (const route of documented) expect(served).toContain(route);
    // Every operation documents an answer and the error envelope.
    for (const [path, ops] of Object.entries(spec.paths))
      for (const [method, op] of Object.entries(ops as Record<string, { responses: Record<string, unknown> }>)) {
        const statuses = Object.keys(op.responses);
        expect(
          statuses.some((s) => /^[23]/.test(s)),
          `${method} ${path}`,
        ).toBe(true);
        expect(JSON.stringify(op.responses['500']), `${method} ${path}`).toContain('#/components/schemas/Error');
      }
  });

  it('requires a valid key, enforces roles, and answers with the error shape', async () => {
    const none = await server.api.inject({ method: 'GET', url: '/api/v1/teams' });
    expect(none.statusCode).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: 'unauthorized', request_id: expect.any(String) });
    expect((await call(server.api, 'GET', '/api/v1/teams', undefined, 'wrong-key-0123456789')).status).toBe(401);
    expect((await call(server.api, 'GET', '/api/v1/teams', undefined, KEYS.viewer)).status).toBe(200);
    expect((await call(server.api, 'POST', '/api/v1/teams', { name: 'viewers-cannot' }, KEYS.viewer)).status).toBe(403);
    expect(
      (await call(server.api, 'POST', '/api/v1/issuers', { name: 'x', type: 'test-ca', config: {} }, KEYS.alice))
        .status,
    ).toBe(403);
  });

  it('creates API keys shown once, stores them hashed, and revokes them', async () => {
    const created = await call(server.api, 'POST', '/api/v1/api-keys', { name: 'ci', role: 'viewer' });
    expect(created.status).toBe(201);
    const key = String(created.json.key);
    expect((await call(server.api, 'GET', '/api/v1/auth/check', undefined, key)).json).toEqual({
      name: 'ci',
      role: 'viewer',
    });
    const listed = await call(server.api, 'GET', '/api/v1/api-keys');
    expect(JSON.stringify(listed.json)).not.toContain(key);
    const stored = await server.deps.db
      .selectFrom('apiKeys')
      .select('keyHash')
      .where('id', '=', String(created.json.id))
      .executeTakeFirstOrThrow();
    expect(stored.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await call(server.api, 'DELETE', `/api/v1/api-keys/${created.json.id}`)).status).toBe(200);
    expect((await call(server.api, 'GET', '/api/v1/auth/check', undefined, key)).status).toBe(401);
  });

  it('sets security headers and request ids on every response, and denies CORS to unknown origins', async () => {
    const response = await server.api.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://evil.example.com', 'x-request-id': 'trace-123' },
    });
    expect(response.headers['x-request-id']).toBe('trace-123');
    expect(response.headers['strict-transport-security']).toContain('max-age');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await server.api.inject({
      method: 'OPTIONS',
      url: '/api/v1/teams',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'GET' },
    });
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    const missing = await server.api.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-frame-options']).toBe('DENY');
  });

  it('refuses bodies over the limit with 413', async () => {
    const response = await call(server.api, 'POST', '/api/v1/teams', { name: 'big', description: 'x'.repeat(10_000) });
    expect(response.status).toBe(413);
    expect(response.json.error).toBe('payload_too_large');
  });

  it('validates issuer configs with the connector schema, encrypts secrets at rest and redacts them everywhere', async () => {
    const bad = await call(server.api, 'POST', '/api/v1/issuers', {
      name: 'bad',
      type: 'test-ca',
      config: { nope: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_config');
    const unknownType = await call(server.api, 'POST', '/api/v1/issuers', {
      name: 'bad2',
      type: 'no-such-ca',
      config: {},
    });
    expect(unknownType.status).toBe(400);
    const created = await call(server.api, 'POST', '/api/v1/issuers', {
      id: 'iss-secret',
      name: 'secretive',
      type: 'test-ca',
      config: { label: 'a', api_token: 'tok-very-secret-123' },
    });
    expect(created.json.config).toEqual({ label: 'a', api_token: '[redacted]' });
    const row = await server.deps.db
      .selectFrom('issuers')
      .select('config')
      .where('id', '=', 'iss-secret')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row.config)).not.toContain('tok-very-secret-123');
    expect(String(row.config.api_token)).toMatch(/^v1:/);
    const updated = await call(server.api, 'PUT', '/api/v1/issuers/iss-secret', {
      config: { label: 'b', api_token: '[redacted]' },
    });
    expect(updated.json.config).toEqual({ label: 'b', api_token: '[redacted]' });
    const test = await call(server.api, 'POST', '/api/v1/issuers/iss-secret/test');
    expect(test.json).toEqual({ ok: true, detail: 'test CA ready' });
    const audit = await call(server.api, 'GET', '/api/v1/audit?resource_type=issuer&resource_id=iss-secret');
    expect(JSON.stringify(audit.json)).not.toContain('tok-very-secret');
    const chain = await call(server.api, 'GET', '/api/v1/issuers/iss-secret/ca-chain');
    expect(chain.body).toContain('BEGIN CERTIFICATE');
  });

  it('registers agents with the bootstrap token and serves them their work', async () => {
    const registered = await server.api.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: { authorization: 'Bearer bootstrap-token-0123456789', 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'web-01', hostname: 'web-01.internal' }),
    });
    expect(registered.statusCode).toBe(201);
    const agent = JSON.parse(registered.body) as { id: string; api_key: string };
    const agentKey = agent.api_key;
    expect((await call(server.api, 'GET', '/api/v1/teams', undefined, agentKey)).status).toBe(403);
    expect(
      (
        await call(
          server.api,
          'POST',
          `/api/v1/agents/${agent.id}/heartbeat`,
          { version: '0.1.0', os: 'linux' },
          agentKey,
        )
      ).json.status,
    ).toBe('online');

    const basics = await createBasics(server.api);
    const body = certificateBody(basics, { agent_id: agent.id });
    const created = await call(server.api, 'POST', '/api/v1/certificates', body);
    expect((created.json.job as { status: string }).status).toBe('awaiting_csr');
    const work = await call(server.api, 'GET', `/api/v1/agents/${agent.id}/work`, undefined, agentKey);
    expect(work.json.count).toBe(1);
    const item = (work.json.jobs as { type: string; certificate_id: string }[])[0]!;
    expect(item).toMatchObject({ type: 'csr', certificate_id: created.json.id });
    const { makeCsr } = await import('../testing/api-fixtures.js');
    const csr = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agent.id}/csr`,
      { certificate_id: created.json.id, csr_pem: await makeCsr(String(body.common_name)) },
      agentKey,
    );
    expect(csr.status).toBe(202);
    await server.runner.runOnce();
    const fetched = await call(
      server.api,
      'GET',
      `/api/v1/agents/${agent.id}/certificates/${created.json.id}`,
      undefined,
      agentKey,
    );
    expect(String(fetched.json.certificate_pem)).toContain('BEGIN CERTIFICATE');
    const other = await server.api.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: { authorization: `Bearer ${KEYS.alice}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'web-02' }),
    });
    const otherAgent = JSON.parse(other.body) as { id: string; api_key: string };
    expect(
      (await call(server.api, 'GET', `/api/v1/agents/${agent.id}/work`, undefined, otherAgent.api_key)).status,
    ).toBe(403);
  });

  it('exposes Prometheus metrics and stats', async () => {
    const metrics = await call(server.api, 'GET', '/metrics', undefined, KEYS.viewer);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('certctl_certificates{status=');
    expect(metrics.body).toContain('certctl_issuance_total');
    const stats = await call(server.api, 'GET', '/api/v1/stats/summary');
    expect(stats.json).toHaveProperty('certificates');
    expect((await call(server.api, 'GET', '/api/v1/stats/expiration-timeline?weeks=4')).json.data).toHaveLength(4);
    expect((await call(server.api, 'GET', '/api/v1/stats/issuance-rate')).status).toBe(200);
    expect((await server.api.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });

  it('answers 429 with Retry-After once a key spends its burst', async () => {
    const limited = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      env: { CERTCTL_RATE_LIMIT_RPS: '1', CERTCTL_RATE_LIMIT_BURST: '3' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await call(limited.api, 'GET', '/api/v1/teams', undefined, KEYS.viewer)).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      const refused = await call(limited.api, 'GET', '/api/v1/teams', undefined, KEYS.viewer);
      expect(refused.status).toBe(429);
      expect(refused.json.error).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket.
      expect((await call(limited.api, 'GET', '/api/v1/teams', undefined, KEYS.alice)).status).toBe(200);
      // Guessing keys spends the address's bucket.
      const guesses: number[] = [];
      for (let i = 0; i < 5; i++)
        guesses.push((await call(limited.api, 'GET', '/api/v1/teams', undefined, `guess-${i}-0123456789`)).status);
      expect(guesses).toContain(429);
    } finally {
      await limited.stop();
    }
  });

  it('limits each key by CERTCTL_RATE_LIMIT_PER_USER_* and logs one line for reference variables it does not implement', async () => {
    const logged: string[] = [];
    const limited = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      env: {
        CERTCTL_LOG_LEVEL: 'warn',
        CERTCTL_RATE_LIMIT_RPS: '1',
        CERTCTL_RATE_LIMIT_BURST: '4',
        CERTCTL_RATE_LIMIT_PER_USER_RPS: '1',
        CERTCTL_RATE_LIMIT_PER_USER_BURST: '2',
        CERTCTL_KEYGEN_MODE: 'agent',
        CERTCTL_DEMO_SEED: 'false',
      },
      logDestination: { write: (line) => void logged.push(line) },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await call(limited.api, 'GET', '/api/v1/teams', undefined, KEYS.viewer)).status);
      expect(statuses).toEqual([200, 200, 429]);
      // Failed authentications still spend the address's bucket of CERTCTL_RATE_LIMIT_BURST (4).
      const guesses: number[] = [];
      for (let i = 0; i < 5; i++)
        guesses.push((await call(limited.api, 'GET', '/api/v1/teams', undefined, `guess-${i}-0123456789`)).status);
      expect(guesses).toEqual([401, 401, 401, 401, 429]);
      const warnings = logged
        .map((line) => JSON.parse(line) as { msg: string })
        .filter((line) => line.msg.includes('reference configuration'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toContain('CERTCTL_DEMO_SEED, CERTCTL_KEYGEN_MODE');
    } finally {
      await limited.stop();
    }
  });

  it('answers the read, update and delete routes in the shapes it documents', async () => {
    // Every answer is checked against its route's declared schema by the test server (see stop()).
    const basics = await createBasics(server.api);
    const ok = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
      const response = await call(server.api, method, url, body);
      expect(response.status, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      return response;
    };
    for (const url of [
      '/api/v1/version',
      '/api/v1/auth/info',
      '/api/v1/issuer-types',
      '/api/v1/teams',
      `/api/v1/teams/${basics.teamId}`,
      '/api/v1/owners',
      `/api/v1/owners/${basics.ownerId}`,
      '/api/v1/renewal-policies',
      `/api/v1/renewal-policies/${basics.policyId}`,
      '/api/v1/profiles',
      '/api/v1/agents',
      '/api/v1/api-keys',
      '/api/v1/jobs',
      '/api/v1/notifications',
      '/api/v1/notifiers',
      '/api/v1/stats/summary',
      '/api/v1/stats/certificates-by-status',
    ])
      await ok('GET', url);
    await ok('PUT', `/api/v1/teams/${basics.teamId}`, { description: 'platform' });
    await ok('PUT', `/api/v1/owners/${basics.ownerId}`, { name: 'Platform ops' });
    await ok('PUT', `/api/v1/issuers/${basics.issuerId}`, { name: 'renamed issuer' });
    const profile = await ok('POST', '/api/v1/profiles', { name: 'short', max_ttl_seconds: 86_400 });
    await ok('GET', `/api/v1/profiles/${profile.json.id}`);
    await ok('DELETE', `/api/v1/profiles/${profile.json.id}`);
    const certificate = await ok('POST', '/api/v1/certificates', certificateBody(basics));
    await ok('PUT', `/api/v1/certificates/${certificate.json.id}`, { environment: 'staging' });
    const audit = await ok('GET', `/api/v1/audit?resource_type=certificate&resource_id=${certificate.json.id}`);
    await ok('GET', `/api/v1/audit/${(audit.json.data as { id: string }[])[0]!.id}`);
    const key = await ok('POST', '/api/v1/api-keys', { name: 'temporary', role: 'viewer' });
    await ok('DELETE', `/api/v1/api-keys/${key.json.id}`);
    const team = await ok('POST', '/api/v1/teams', { name: 'short-lived' });
    await ok('DELETE', `/api/v1/teams/${team.json.id}`);
    const owner = await ok('POST', '/api/v1/owners', { name: 'Temp', email: 'temp@example.com' });
    await ok('DELETE', `/api/v1/owners/${owner.json.id}`);
    const target = await ok('POST', '/api/v1/targets', { name: 'short-lived', type: 'nginx', config: {} });
    await ok('DELETE', `/api/v1/targets/${target.json.id}`);
    await ok('POST', '/api/v1/notifications/requeue-dead', {});
    const agent = await ok('POST', '/api/v1/agents', { name: 'leaving' });
    const waiting = await ok('POST', '/api/v1/certificates', certificateBody(basics, { agent_id: agent.json.id }));
    await ok('POST', `/api/v1/jobs/${(waiting.json.job as { id: string }).id}/cancel`);
    await ok('DELETE', `/api/v1/certificates/${waiting.json.id}`);
    await ok('DELETE', `/api/v1/agents/${agent.json.id}`);
    expect((await call(server.api, 'GET', '/api/v1/teams/no-such-team')).status).toBe(404);
  });

  it('rate-limits per key', async () => {
    const { createRateLimiter } = await import('./rate-limiter.js');
    let t = 0;
    const limiter = createRateLimiter({ rps: 1, burst: 2, now: () => t });
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('other').allowed).toBe(true);
    t = 1000;
    expect(limiter.take('k').allowed).toBe(true);
  });
});
