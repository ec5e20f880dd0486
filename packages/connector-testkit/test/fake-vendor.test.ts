import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { createTestCa, startFakeVendor } from '../src/index.js';

function get(
  url: string,
  options: { ca?: string; cert?: string; key?: string; headers?: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', ca: options.ca, cert: options.cert, key: options.key, headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('startFakeVendor', () => {
  it('serves HTTPS with a per-run CA, routes with params, records requests and answers 404 otherwise', async () => {
    const fake = await startFakeVendor({
      routes: { 'GET /v1/orders/:id': (req) => ({ body: { id: req.params.id, auth: req.headers.authorization } }) },
    });
    try {
      expect(fake.url).toBe(`https://127.0.0.1:${fake.port}`);
      const ok = await get(`${fake.url}/v1/orders/42?x=1`, { ca: fake.caPem, headers: { authorization: 'Bearer t' } });
      expect(ok).toEqual({ status: 200, body: JSON.stringify({ id: '42', auth: 'Bearer t' }) });
      expect((await get(`${fake.url}/v1/nothing`, { ca: fake.caPem })).status).toBe(404);
      expect(fake.requests.map((r) => `${r.method} ${r.path}${r.query}`)).toEqual([
        'GET /v1/orders/42?x=1',
        'GET /v1/nothing',
      ]);
      await expect(get(`${fake.url}/v1/orders/1`, {})).rejects.toThrow(/self-signed|unable to verify|issuer/i);
    } finally {
      await fake.close();
    }
  });

  it('requires and verifies a client certificate when clientCa is set', async () => {
    const clientCa = await createTestCa({ commonName: 'client CA' });
    const client = await clientCa.issue({ commonName: 'connector-client', extKeyUsages: ['clientAuth'] });
    const stranger = await (await createTestCa({ commonName: 'stranger CA' })).issue({
      commonName: 'intruder',
      extKeyUsages: ['clientAuth'],
    });
    const fake = await startFakeVendor({
      clientCa: clientCa.certificatePem,
      handler: (req) => ({ body: { who: req.clientCertificate?.subject } }),
    });
    try {
      const ok = await get(`${fake.url}/whoami`, {
        ca: fake.caPem,
        cert: client.certificatePem,
        key: client.privateKeyPem,
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('CN=connector-client');
      await expect(get(`${fake.url}/whoami`, { ca: fake.caPem })).rejects.toThrow();
      await expect(
        get(`${fake.url}/whoami`, { ca: fake.caPem, cert: stranger.certificatePem, key: stranger.privateKeyPem }),
      ).rejects.toThrow();
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('serves plain HTTP when tls is false, answering 400 to a malformed JSON body', async () => {
    const fake = await startFakeVendor({ tls: false, routes: { 'POST /echo': (req) => ({ body: req.json() }) } });
    try {
      expect(fake.caPem).toBeUndefined();
      const good = await fetch(`${fake.url}/echo`, { method: 'POST', body: '{"a":1}' });
      expect(await good.json()).toEqual({ a: 1 });
      const bad = await fetch(`${fake.url}/echo`, { method: 'POST', body: '{nope' });
      expect(bad.status).toBe(400);
    } finally {
      await fake.close();
    }
  });
});
