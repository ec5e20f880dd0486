import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTempDir,
  createTestCsr,
  type FakeDigicert,
  type FakeSectigo,
  startFakeDigicert,
  startFakeSectigo,
  type TempDir,
} from '../src/index.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'ca-vendors', name), 'utf8')) as Record<
    string,
    unknown
  >;

/** The shape of a JSON document: its keys, recursively (arrays by their first element). */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shape(v)]),
    );
  return typeof value;
}

// biome-ignore lint/suspicious/noExplicitAny: vendor JSON bodies, read by path in assertions.
type VendorJson = any;

async function send(
  caPem: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): VendorJson;
}> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        ca: caPem,
        headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...options.headers },
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
    req.end(body);
  });
}

let dir: TempDir;
beforeAll(async () => {
  dir = await createTempDir('ca-fakes-');
});
afterAll(() => dir.remove());

function opensslVerify(leafPem: string, caPem: string): string {
  const leaf = join(dir.path, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  const ca = join(dir.path, `ca-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(leaf, leafPem);
  writeFileSync(ca, caPem);
  return execFileSync('openssl', ['verify', '-CAfile', ca, leaf], { encoding: 'utf8' });
}

describe('DigiCert CertCentral fake', () => {
  let dc: FakeDigicert;
  beforeAll(async () => {
    dc = await startFakeDigicert();
  });
  afterAll(() => dc.close());
  const api = (path: string, options: Parameters<typeof send>[2] = {}, key = dc.apiKey) =>
    send(dc.caPem!, `${dc.baseUrl}/${path}`, { ...options, headers: { 'x-dc-devkey': key, ...options.headers } });

  it("answers DigiCert's 401 and 403 bodies for a wrong key and a view-only key", async () => {
    const wrong = await api('user/me', {}, 'WRONG');
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual(fixture('digicert-error-invalid-key.json'));
    const missing = await send(dc.caPem!, `${dc.baseUrl}/user/me`);
    expect(missing.status).toBe(401);
    const viewOnly = await api('order/certificate/ssl_basic', { method: 'POST', body: {} }, dc.viewOnlyApiKey);
    expect(viewOnly.status).toBe(403);
    expect(viewOnly.json().errors[0].code).toBe('access_denied');
  });

  it('refuses malformed orders, unknown products and unknown orders', async () => {
    expect((await api('order/certificate/ssl_basic', { method: 'POST', body: '{nope' })).json().errors[0].code).toBe(
      'invalid_json',
    );
    const noCsr = await api('order/certificate/ssl_basic', {
      method: 'POST',
      body: { certificate: { common_name: 'a.example.com', csr: 'garbage' }, organization: { id: dc.organizationId } },
    });
    expect(noCsr.status).toBe(400);
    expect(noCsr.json().errors[0].code).toBe('invalid_csr');
    expect((await api('order/certificate/no_such_product', { method: 'POST', body: {} })).status).toBe(404);
    const unknown = await api('order/certificate/999');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ errors: [{ code: 'not_found|order', message: 'Order not found.' }] });
  });

  it('orders wait until the test approves; the certificate is signed by the test CA and the answers have the documented shape', async () => {
    const csr = await createTestCsr({ commonName: 'fake.example.com' });
    const created = await api('order/certificate/ssl_basic', {
      method: 'POST',
      body: {
        certificate: { common_name: 'fake.example.com', csr: csr.csrPem, signature_hash: 'sha256' },
        organization: { id: dc.organizationId },
        order_validity: { days: 90 },
        payment_method: 'balance',
      },
    });
    expect(created.status).toBe(201);
    expect(shape(created.json())).toEqual(shape(fixture('digicert-order-created-pending.json')));
    const id = created.json().id as number;
    expect((await api(`order/certificate/${id}`)).json().status).toBe('pending');
    await dc.approve(id);
    const info = (await api(`order/certificate/${id}`)).json();
    expect(shape(info)).toEqual(shape(fixture('digicert-order-info.json')));
    const pem = await api(`certificate/${info.certificate.id}/download/format/pem_all`);
    expect(opensslVerify(pem.text, dc.issuingCa.certificatePem)).toMatch(/: OK/);
  });

  it('a rejected order carries the reason; a rate-limited call gets 429 with Retry-After', async () => {
    const [id] = await dc.seedExistingOrders(1);
    dc.orders.get(id!)!.status = 'pending';
    dc.reject(id!, 'Domain validation failed');
    const info = (await api(`order/certificate/${id}`)).json();
    expect(info).toMatchObject({ status: 'rejected', requests: [{ processor_comment: 'Domain validation failed' }] });
    dc.rateLimitNext(7);
    const limited = await api('user/me');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.json().errors[0].code).toBe('rate_limit_exceeded');
  });
});

describe('Sectigo Certificate Manager fake', () => {
  let scm: FakeSectigo;
  beforeAll(async () => {
    scm = await startFakeSectigo();
  });
  afterAll(() => scm.close());
  const api = (path: string, options: Parameters<typeof send>[2] = {}, creds: Record<string, string> = {}) =>
    send(scm.caPem!, `${scm.baseUrl}/${path}`, {
      ...options,
      headers: { customerUri: scm.customerUri, login: scm.login, password: scm.password, ...creds, ...options.headers },
    });

  it("answers SCM's 401 for a wrong password or customer URI, and 403 for a read-only admin", async () => {
    const wrong = await api('ssl/v1/types', {}, { password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ code: -16, description: 'Unknown user' });
    expect((await api('ssl/v1/types', {}, { customerUri: 'someone-else' })).status).toBe(401);
    const readOnly = await api('ssl/v1/enroll', { method: 'POST', body: {} }, { login: scm.readOnlyLogin });
    expect(readOnly.status).toBe(403);
    expect(readOnly.json().code).toBe(-109);
  });

  it('refuses bad enrollments with SCM codes and unknown certificates with 404', async () => {
    const csr = await createTestCsr({ commonName: 'scm.example.org' });
    const base = { orgId: scm.orgId, csr: csr.csrPem, certType: 423, term: 365 };
    expect((await api('ssl/v1/enroll', { method: 'POST', body: '{' })).status).toBe(400);
    expect((await api('ssl/v1/enroll', { method: 'POST', body: { ...base, certType: 1 } })).json().code).toBe(-13);
    expect((await api('ssl/v1/enroll', { method: 'POST', body: { ...base, term: 730 } })).json().code).toBe(-14);
    expect((await api('ssl/v1/enroll', { method: 'POST', body: { ...base, csr: 'x' } })).json().code).toBe(-9);
    expect((await api('ssl/v1/424242')).status).toBe(404);
  });

  it('collect answers "not collectable" until approved and generated; the certificate verifies with openssl', async () => {
    scm.collectDelay = 1;
    const csr = await createTestCsr({ commonName: 'collect.example.org' });
    const enrolled = await api('ssl/v1/enroll', {
      method: 'POST',
      body: { orgId: scm.orgId, csr: csr.csrPem, certType: 423, term: 365, subjAltNames: 'collect.example.org' },
    });
    expect(shape(enrolled.json())).toEqual(shape(fixture('sectigo-enroll.json')));
    const sslId = enrolled.json().sslId as number;
    const early = await api(`ssl/v1/collect/${sslId}/x509`);
    expect(early.status).toBe(400);
    expect(early.json()).toEqual(fixture('sectigo-error-not-collectable.json'));
    await scm.approve(sslId);
    expect((await api(`ssl/v1/collect/${sslId}/x509`)).status).toBe(400);
    const pem = await api(`ssl/v1/collect/${sslId}/x509CO`);
    expect(pem.status).toBe(200);
    expect(opensslVerify(pem.text, scm.issuingCa.certificatePem)).toMatch(/: OK/);
    const details = (await api(`ssl/v1/${sslId}`)).json();
    const expected = fixture('sectigo-ssl-details.json');
    expect(Object.keys(details).sort()).toEqual(Object.keys(expected).sort());
    scm.collectDelay = 0;
  });

  it('revocation needs a reason; a rate-limited call gets 429 with Retry-After', async () => {
    const [sslId] = await scm.seedExistingCertificates(1);
    expect((await api(`ssl/v1/revoke/${sslId}`, { method: 'POST', body: {} })).status).toBe(400);
    expect((await api(`ssl/v1/revoke/${sslId}`, { method: 'POST', body: { reason: 'Superseded' } })).status).toBe(204);
    scm.rateLimitNext(3);
    const limited = await api('ssl/v1/types');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
  });
});
