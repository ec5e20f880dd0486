import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../testing/api-fixtures.js';
import { createTestCa } from '../testing/test-issuer.js';
import { auth, KEYS, startTestServer, type TestServer } from '../testing/test-server.js';

/** Issue 26 items 1-4: hostile input is a 4xx in the `{error, message, request_id}` envelope, never a 5xx. */

const expectEnvelope = (response: { statusCode: number; body: string }, status?: number) => {
  if (status !== undefined) expect(response.statusCode, response.body).toBe(status);
  expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, response.body).toBeLessThan(500);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(typeof body.error, response.body).toBe('string');
  expect(typeof body.message, response.body).toBe('string');
  expect(typeof body.request_id, response.body).toBe('string');
  return body;
};

/** Sends raw bytes and reads the whole answer (the server closes the connection after it). */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket =
      protocol === 'https:'
        ? connectTls({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => socket.write(request))
        : connectTcp({ host: hostname, port: Number(port) }, () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

describe('hostile input never reaches the database or the stack as a 500', () => {
  const ca = createTestCa();
  const logged: string[] = [];
  let server: TestServer;
  let api: FastifyInstance;
  let pki: FastifyInstance;
  let agent: { id: string; key: string };
  const errorLines = () => logged.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

  beforeAll(async () => {
    server = await startTestServer({
      database: {},
      connectors: [ca.manifest],
      listen: true,
      env: { CERTCTL_LOG_LEVEL: 'info' },
      logDestination: { write: (line) => void logged.push(line) },
    });
    api = server.api;
    pki = server.pki;
    const issuer = await call(api, 'POST', '/api/v1/issuers', { id: 'iss-test', name: 'Test', type: 'test-ca' });
    expect(issuer.status, issuer.body).toBe(201);
    const registered = await call(api, 'POST', '/api/v1/agents', { name: 'probe-agent' });
    expect(registered.status, registered.body).toBe(201);
    agent = { id: String(registered.json.id), key: String(registered.json.api_key) };
  });
  afterAll(() => server?.stop());

  it('item 1: a NUL byte in an id, a query filter, a string field or a PKI path is a 400, with no error log', async () => {
    logged.length = 0;
    const headers = auth(KEYS.admin);
    expectEnvelope(await api.inject({ method: 'GET', url: '/api/v1/teams/abc%00def', headers }), 400);
    expectEnvelope(await api.inject({ method: 'GET', url: '/api/v1/teams/abc%00def' }), 400);
    expectEnvelope(await api.inject({ method: 'GET', url: '/api/v1/certificates?owner_id=%00', headers }), 400);
    expectEnvelope(
      await api.inject({ method: 'POST', url: '/api/v1/teams', headers, payload: { name: 'a\u0000b' } }),
      400,
    );
    expectEnvelope(
      await api.inject({
        method: 'POST',
        url: '/api/v1/teams',
        headers,
        payload: { name: 'ok', description: 'nul \u0000 inside' },
      }),
      400,
    );
    expectEnvelope(
      await api.inject({ method: 'POST', url: '/api/v1/teams', headers, payload: { id: 'a\u0001b', name: 'ok' } }),
      400,
    );
    expectEnvelope(
      await pki.inject({
        method: 'POST',
        url: '/.well-known/pki/ocsp/iss-local%00',
        headers: { 'content-type': 'application/ocsp-request' },
        payload: Buffer.from([0x30, 0x00]),
      }),
      400,
    );
    expectEnvelope(await pki.inject({ method: 'GET', url: '/.well-known/pki/crl/iss-test%00' }), 400);
    expect(errorLines()).toEqual([]);
  });

  it('item 1: a name with a control character is refused; ordinary text still works', async () => {
    const headers = auth(KEYS.admin);
    expectEnvelope(
      await api.inject({ method: 'POST', url: '/api/v1/teams', headers, payload: { name: 'line\nbreak' } }),
      400,
    );
    const ok = await call(api, 'POST', '/api/v1/teams', { name: 'Équipe ☃', description: 'two\nlines' });
    expect(ok.status, ok.body).toBe(201);
  });

  it('item 2: a config nested 2,000 levels deep is a 400 before any recursive work', async () => {
    logged.length = 0;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 2000; i++) deep = { nested: deep };
    for (const kind of ['issuers', 'notifiers', 'targets']) {
      const response = await api.inject({
        method: 'PUT',
        url: `/api/v1/${kind}/iss-test`,
        headers: { ...auth(KEYS.admin), 'content-type': 'application/json' },
        payload: JSON.stringify({ config: deep }),
      });
      const body = expectEnvelope(response, 400);
      expect(String(body.message)).toMatch(/nested deeper than 32 levels/);
    }
    const wide = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i]));
    expectEnvelope(
      await api.inject({
        method: 'POST',
        url: '/api/v1/issuers',
        headers: { ...auth(KEYS.admin), 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'wide', type: 'test-ca', config: wide }),
      }),
      400,
    );
    expect(errorLines()).toEqual([]);
  });

  it('item 3: an integer beyond its column (scan_duration_ms: 1e308) is a 400', async () => {
    for (const scan of [1e308, 2_147_483_648, 1.5, -1]) {
      const response = await api.inject({
        method: 'POST',
        url: `/api/v1/agents/${agent.id}/discoveries`,
        headers: { ...auth(agent.key), 'content-type': 'application/json' },
        payload: `{"certificates":[],"scan_duration_ms":${scan}}`,
      });
      const body = expectEnvelope(response, 400);
      expect(String(body.message)).toMatch(/scan_duration_ms/);
    }
    const fine = await call(
      api,
      'POST',
      `/api/v1/agents/${agent.id}/discoveries`,
      { certificates: [], scan_duration_ms: 2_147_483_647 },
      agent.key,
    );
    expect(fine.status, fine.body).toBe(200);
    const paged = await api.inject({ method: 'GET', url: '/api/v1/teams?page=1e308', headers: auth(KEYS.admin) });
    expectEnvelope(paged, 400);
  });

  it('item 4: a bad % escape and a 5,000-character id are answered in the envelope', async () => {
    const headers = auth(KEYS.admin);
    expectEnvelope(await api.inject({ method: 'GET', url: '/api/v1/teams/%E0%A4%A', headers }), 400);
    expectEnvelope(await pki.inject({ method: 'GET', url: '/.well-known/pki/crl/%zz' }), 400);
    expectEnvelope(await api.inject({ method: 'GET', url: `/api/v1/teams/${'a'.repeat(5000)}`, headers }), 414);
    expectEnvelope(await pki.inject({ method: 'GET', url: `/.well-known/pki/ocsp/${'b'.repeat(5000)}/x` }), 414);
    // An id between 101 and 128 characters still routes (the router's default limit was 100).
    const long = await call(api, 'GET', `/api/v1/teams/${'c'.repeat(128)}`);
    expect(long.status, long.body).toBe(404);
    expect(long.json.error).toBe('not_found');
  });

  it("item 4: a 20 kB query string (431 from Node's parser) is answered in the envelope on both listeners", async () => {
    for (const url of [server.urls.pki, server.urls.api]) {
      expect(url).toBeDefined();
      const answer = await rawExchange(
        url as string,
        `GET /api/v1/teams?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      );
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head.toLowerCase()).toContain('content-type: application/json');
      expect(JSON.parse(body)).toMatchObject({ error: 'headers_too_large', request_id: expect.any(String) });
    }
  });

  it('property: arbitrary strings (NUL and control characters included) in ids, names, filters and configs are never a 5xx', async () => {
    logged.length = 0;
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
      fc.constantFrom('\u0000', 'a\u0000b', '%00', '%', '%zz', '\u007f', '\ud800', '../..', "' OR 1=1 --"),
    );
    const headers = { ...auth(KEYS.admin), 'content-type': 'application/json' };
    await fc.assert(
      fc.asyncProperty(hostile, fc.nat({ max: 5 }), async (value, route) => {
        const encoded = encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'));
        const requests = [
          () => api.inject({ method: 'GET', url: `/api/v1/teams/${encoded}`, headers }),
          () =>
            api.inject({ method: 'GET', url: `/api/v1/certificates?owner_id=${encoded}&status=${encoded}`, headers }),
          () => api.inject({ method: 'POST', url: '/api/v1/teams', headers, payload: JSON.stringify({ name: value }) }),
          () =>
            api.inject({
              method: 'PUT',
              url: '/api/v1/issuers/iss-test',
              headers,
              payload: JSON.stringify({ config: { label: value, [value]: value } }),
            }),
          () =>
            api.inject({
              method: 'PUT',
              url: `/api/v1/notifiers/${encoded}`,
              headers,
              payload: JSON.stringify({ name: value, config: { url: value } }),
            }),
          () =>
            pki.inject({
              method: 'POST',
              url: `/.well-known/pki/ocsp/${encoded}`,
              headers: { 'content-type': 'application/ocsp-request' },
              payload: Buffer.from(value, 'latin1'),
            }),
        ];
        const response = await (requests[route] as () => ReturnType<FastifyInstance['inject']>)();
        if (response.statusCode < 400) return; // accepted (e.g. a team named "☃"): fine
        expectEnvelope(response);
      }),
      { numRuns: 300 },
    );
    expect(errorLines()).toEqual([]);
  });
});
