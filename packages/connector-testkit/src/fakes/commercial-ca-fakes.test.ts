import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCsr } from '../test-pki.js';
import { type FakeEntrust, startFakeEntrust } from './entrust.js';
import type { ClientCredential } from './fake-ca-signing.js';
import { type FakeGlobalSign, startFakeGlobalSign } from './globalsign.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/** One HTTPS call presenting `credential` (or none), trusting the fake's TLS CA. */
function send(
  url: string,
  options: {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    credential?: ClientCredential;
    ca: string;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        cert: options.credential?.certificatePem,
        key: options.credential?.privateKeyPem,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Every field of the recorded example comes back with the same JSON type (arrays: each element like the first). */
function shapeProblems(expected: unknown, actual: unknown, path = '$'): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path} should be an array`];
    return expected.length === 0 ? [] : actual.flatMap((item, i) => shapeProblems(expected[0], item, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path} should be an object`];
    return Object.entries(expected).flatMap(([key, value]) =>
      key in actual
        ? shapeProblems(value, (actual as Record<string, unknown>)[key], `${path}.${key}`)
        : [`${path}.${key} is missing`],
    );
  }
  return typeof expected === typeof actual ? [] : [`${path} should be a ${typeof expected}, is ${typeof actual}`];
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}.json`, import.meta.url), 'utf8'));

describe('fake Entrust', () => {
  let fake: FakeEntrust;
  let client: ClientCredential;
  beforeAll(async () => {
    fake = await startFakeEntrust();
    client = await fake.clientCredential('testkit-client');
  });
  afterAll(() => fake.close());
  const gw = (path: string, init: Parameters<typeof send>[1] extends infer O ? Partial<O> : never = {}) =>
    send(`${fake.gatewayUrl}/v1/certificate-authorities/${fake.caId}${path}`, {
      ca: fake.serverCaPem,
      credential: client,
      ...init,
    });
  const basic = (user: string, key: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`,
  });

  it('refuses a connection without a client certificate, or with one from another CA', async () => {
    await expect(send(`${fake.gatewayUrl}/v1/certificate-authorities`, { ca: fake.serverCaPem })).rejects.toThrow();
    const stranger = await fake.strangerCredential();
    await expect(
      send(`${fake.gatewayUrl}/v1/certificate-authorities`, { ca: fake.serverCaPem, credential: stranger }),
    ).rejects.toThrow();
  });

  it('answers malformed enrollments, unknown profiles and unknown tracking ids with the Gateway error body', async () => {
    const malformed = await gw('/enrollments', { method: 'POST', body: '{not json' });
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ type: 'ErrorResponse', error: { code: 'BAD_REQUEST' } });
    const csr = await createTestCsr();
    const unknownProfile = await gw('/enrollments', {
      method: 'POST',
      body: JSON.stringify({ profileId: 'nope', csr: csr.csrPem }),
    });
    expect(unknownProfile.json()).toMatchObject({ error: { code: 'INVALID_PROFILE' } });
    expect((await gw('/enrollments/trk-unknown')).status).toBe(404);
  });

  it('queues an enrollment on the approval profile (201) until the administrator approves it', async () => {
    const csr = await createTestCsr({ commonName: 'queued.example.test' });
    const created = await gw('/enrollments', {
      method: 'POST',
      body: JSON.stringify({ profileId: fake.profiles.approval, csr: csr.csrPem, requiredFormat: { format: 'PEM' } }),
    });
    expect(created.status).toBe(201);
    const trackingId = String((created.json().enrollment as { trackingId: string }).trackingId);
    expect(((await gw(`/enrollments/${trackingId}`)).json().enrollment as { status: string }).status).toBe('PENDING');
    await fake.approve(trackingId);
    const done = (await gw(`/enrollments/${trackingId}`)).json().enrollment as { status: string; body: string };
    expect(done.status).toBe('ISSUED');
    expect(done.body).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it('checks the enterprise API user and key, and names the missing permission on 403', async () => {
    const url = `${fake.enterpriseUrl}/certificates`;
    const wrong = await send(url, { ca: fake.serverCaPem, credential: client, headers: basic(fake.username, 'wrong') });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ status: 401, errors: [{ message: expect.any(String) }] });
    const viewer = fake.addApiUser('viewer', ['view']);
    const denied = await send(url, {
      method: 'POST',
      body: '{}',
      ca: fake.serverCaPem,
      credential: client,
      headers: basic('viewer', viewer),
    });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.json())).toContain('Request Certificates');
    const unknown = await send(`${url}/99999999`, {
      ca: fake.serverCaPem,
      credential: client,
      headers: basic(fake.username, fake.apiKey),
    });
    expect(unknown.status).toBe(404);
  });

  it('answers in the shape of the recorded Entrust examples', async () => {
    const csr = await createTestCsr({ commonName: 'shape.example.test' });
    const pending = await gw('/enrollments', {
      method: 'POST',
      body: JSON.stringify({ profileId: fake.profiles.approval, csr: csr.csrPem }),
    });
    expect(shapeProblems(fixture('entrust-gateway-enrollment-pending'), pending.json())).toEqual([]);
    const issued = await gw('/enrollments', {
      method: 'POST',
      body: JSON.stringify({ profileId: fake.profiles.auto, csr: (await createTestCsr()).csrPem }),
    });
    const serial = String((issued.json().enrollment as { serialNumber: string }).serialNumber);
    const revoked = await gw(`/certificates/${serial}/actions`, {
      method: 'POST',
      body: JSON.stringify({ action: { type: 'RevokeAction', reason: 'keyCompromise', comment: 'test' } }),
    });
    expect(shapeProblems(fixture('entrust-gateway-revoke-action'), revoked.json())).toEqual([]);
    const viewerCert = await fake.clientCredential('shape-viewer', ['view']);
    const forbidden = await gw('/enrollments', {
      method: 'POST',
      credential: viewerCert,
      body: JSON.stringify({ profileId: fake.profiles.auto, csr: csr.csrPem }),
    });
    expect(forbidden.status).toBe(403);
    expect(shapeProblems(fixture('entrust-gateway-error'), forbidden.json())).toEqual([]);

    const headers = basic(fake.username, fake.apiKey);
    const ordered = await send(`${fake.enterpriseUrl}/certificates`, {
      method: 'POST',
      ca: fake.serverCaPem,
      credential: client,
      headers,
      body: JSON.stringify({ csr: csr.csrPem, certType: 'STANDARD_SSL' }),
    });
    expect(ordered.status).toBe(201);
    const detail = await send(`${fake.enterpriseUrl}/certificates/${ordered.json().trackingId}`, {
      ca: fake.serverCaPem,
      credential: client,
      headers,
    });
    expect(shapeProblems(fixture('entrust-enterprise-certificate'), detail.json())).toEqual([]);
    const viewer = fake.addApiUser('shape-viewer', ['view']);
    const denied = await send(`${fake.enterpriseUrl}/certificates`, {
      method: 'POST',
      body: '{}',
      ca: fake.serverCaPem,
      credential: client,
      headers: basic('shape-viewer', viewer),
    });
    expect(shapeProblems(fixture('entrust-enterprise-error'), denied.json())).toEqual([]);
  });

  it('rate-limits with Retry-After when told to', async () => {
    fake.rateLimitNext(3, 'gateway');
    const limited = await gw('/profiles');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
    expect((await gw('/profiles')).status).toBe(200);
  });
});

describe('fake GlobalSign Atlas', () => {
  let fake: FakeGlobalSign;
  let client: ClientCredential;
  let now = Date.now();
  beforeAll(async () => {
    fake = await startFakeGlobalSign({ now: () => now });
    client = await fake.clientCredential('testkit-atlas');
  });
  afterAll(() => fake.close());
  const atlas = (path: string, init: Partial<Parameters<typeof send>[1]> = {}) =>
    send(`${fake.apiUrl}${path}`, { ca: fake.serverCaPem, credential: client, ...init });
  const login = async () =>
    String(
      (
        await atlas('/login', {
          method: 'POST',
          body: JSON.stringify({ api_key: fake.apiKey, api_secret: fake.apiSecret }),
        })
      ).json().access_token,
    );

  it('refuses a wrong secret and an unbound client certificate at login, as problem+json', async () => {
    const wrong = await atlas('/login', {
      method: 'POST',
      body: JSON.stringify({ api_key: fake.apiKey, api_secret: 'x' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.json()).toEqual({ description: 'Invalid API key or secret' });
    const unbound = await fake.unboundCredential('unbound');
    const refused = await atlas('/login', {
      method: 'POST',
      credential: unbound,
      body: JSON.stringify({ api_key: fake.apiKey, api_secret: fake.apiSecret }),
    });
    expect(refused.status).toBe(401);
  });

  it('expires tokens after their lifetime', async () => {
    const token = await login();
    expect((await atlas('/trustchain', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    now += 601_000;
    expect((await atlas('/trustchain', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('answers 202 while validating, then the certificate; 404 for an unknown serial; 422 for a bad request', async () => {
    const headers = { authorization: `Bearer ${await login()}` };
    const csr = await createTestCsr({ commonName: 'atlas.example.test' });
    const t = Math.floor(Date.now() / 1000);
    const created = await atlas('/certificates', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        validity: { not_before: t, not_after: t + 86_400 },
        subject_dn: { common_name: 'atlas.example.test' },
        csr: csr.csrPem,
      }),
    });
    expect(created.status).toBe(201);
    const location = String(created.headers.location);
    const serial = location.split('/').pop()!;
    expect((await atlas(`/certificates/${serial}`, { headers })).status).toBe(202);
    const issued = await atlas(`/certificates/${serial}`, { headers });
    expect(issued.status).toBe(200);
    expect(issued.json()).toMatchObject({
      status: 'ISSUED',
      certificate: expect.stringContaining('BEGIN CERTIFICATE'),
    });
    expect((await atlas('/certificates/ABCDEF', { headers })).status).toBe(404);
    const bad = await atlas('/certificates', { method: 'POST', headers, body: JSON.stringify({ csr: csr.csrPem }) });
    expect(bad.status).toBe(422);
    const unclaimed = await atlas('/certificates', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        validity: { not_before: t, not_after: t + 86_400 },
        subject_dn: { common_name: 'evil.example.org' },
        csr: csr.csrPem,
      }),
    });
    expect(unclaimed.json()).toEqual({ description: 'Domain evil.example.org has no verified claim in this account' });
  });
});
