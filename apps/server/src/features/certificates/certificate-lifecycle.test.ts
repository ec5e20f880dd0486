import { parseCertificate, parseCrl } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('certificate lifecycle over the API', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api);
  });
  afterAll(() => server?.stop());

  it('issues a certificate from a CSR given at creation, stores the version and audits it', async () => {
    const body = certificateBody(basics, { tags: { app: 'billing' }, environment: 'prod' });
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe('pending');
    expect((created.json.job as { status: string }).status).toBe('pending');
    expect(await server.runner.runOnce()).toBe(1);
    const cert = await call(server.api, 'GET', `/api/v1/certificates/${created.json.id}`);
    expect(cert.json.status).toBe('active');
    expect(cert.json.expires_at).toBeTruthy();
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${created.json.id}/versions`);
    expect(versions.json.total).toBe(1);
    const version = versions.json.data![0]!;
    const parsed = parseCertificate(String(version.certificate_pem));
    expect(parsed.serialNumber).toBe(version.serial);
    expect(parsed.sans).toContainEqual({ type: 'dns', value: body.common_name });
    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${created.json.id}`);
    expect(audit.json.data!.map((e) => e.action)).toEqual(
      expect.arrayContaining(['certificate_created', 'issuance_job_created', 'issuance_job_completed']),
    );
  });

  it('lists with filters and pagination', async () => {
    const body = certificateBody(basics, { tags: { app: 'search' }, environment: 'staging' });
    await call(server.api, 'POST', '/api/v1/certificates', body);
    const byTag = await call(server.api, 'GET', '/api/v1/certificates?tag=app%3Dsearch');
    expect(byTag.json.data!.map((c) => c.name)).toEqual([body.name]);
    const page = await call(server.api, 'GET', `/api/v1/certificates?team_id=${basics.teamId}&per_page=1&page=1`);
    expect(page.json).toMatchObject({ page: 1, per_page: 1 });
    expect(page.json.data).toHaveLength(1);
    expect(Number(page.json.total)).toBeGreaterThanOrEqual(2);
    const pending = await call(server.api, 'GET', '/api/v1/certificates?status=pending&environment=staging');
    expect(pending.json.data!.map((c) => c.name)).toContain(body.name);
    expect((await call(server.api, 'GET', '/api/v1/certificates?status=bogus')).status).toBe(400);
  });

  it('renews with a submitted CSR, exports PEM and PKCS#12, revokes, and the CRL lists the serial', async () => {
    const body = certificateBody(basics);
    const created = await call(server.api, 'POST', '/api/v1/certificates', body);
    const id = String(created.json.id);
    const submitted = await call(server.api, 'POST', `/api/v1/certificates/${id}/csr`, {
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(submitted.status).toBe(202);
    await server.runner.runOnce();
    const renewal = await call(server.api, 'POST', `/api/v1/certificates/${id}/renew`);
    expect(renewal.status).toBe(202);
    expect(renewal.json.type).toBe('renewal');
    expect((await call(server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(409);
    await server.runner.runOnce();
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`);
    expect(versions.json.data!.map((v) => v.version)).toEqual([2, 1]);

    const pem = await call(server.api, 'GET', `/api/v1/certificates/${id}/export/pem`);
    expect(pem.headers['content-type']).toContain('application/pem-certificate-chain');
    expect(pem.body.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const p12 = await call(server.api, 'POST', `/api/v1/certificates/${id}/export/pkcs12`, { password: 'changeit' });
    expect(p12.status).toBe(200);
    expect(p12.headers['content-type']).toBe('application/pkcs12');
    expect(p12.raw.length).toBeGreaterThan(500);

    const revoked = await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, { reason: 'keyCompromise' });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ reason: 'keyCompromise', issuer_notified: true });
    expect(ca.control.revoked).toContain(revoked.json.serial);
    expect(
      (await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, { reason: 'keyCompromise' })).status,
    ).toBe(409);

    const crl = await server.pki.inject({ method: 'GET', url: `/.well-known/pki/crl/${basics.issuerId}` });
    expect(crl.statusCode).toBe(200);
    expect(crl.headers['content-type']).toBe('application/pkix-crl');
    const parsed = parseCrl(new Uint8Array(crl.rawPayload));
    expect(parsed.entries.map((e) => e.serial)).toContain(revoked.json.serial);
    const again = await server.pki.inject({
      method: 'GET',
      url: `/.well-known/pki/crl/${basics.issuerId}`,
      headers: { 'if-none-match': String(crl.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('rejects bad input with {error, message, request_id} and changes nothing', async () => {
    const before = await call(server.api, 'GET', '/api/v1/certificates?include_archived=true&per_page=500');
    const bad = await call(server.api, 'POST', '/api/v1/certificates', {
      ...certificateBody(basics),
      csr_pem: 'not a csr',
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'invalid_request', request_id: expect.any(String) });
    expect(bad.json.message).toMatch(/csr_pem/);
    const wrongNames = await call(server.api, 'POST', '/api/v1/certificates', {
      ...certificateBody(basics),
      csr_pem: await makeCsr('evil.example.org'),
    });
    expect(wrongNames.status).toBe(422);
    const unknownOwner = await call(server.api, 'POST', '/api/v1/certificates', {
      ...certificateBody(basics),
      owner_id: 'o-nope',
    });
    expect(unknownOwner.status).toBe(400);
    const wrongType = await call(server.api, 'POST', '/api/v1/certificates', { ...certificateBody(basics), sans: 'x' });
    expect(wrongType.json.error).toBe('validation_failed');
    const malformed = await server.api.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ error: 'invalid_json', request_id: expect.any(String) });
    const missing = await call(server.api, 'GET', '/api/v1/certificates/mc-missing');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toBe('not_found');
    const after = await call(server.api, 'GET', '/api/v1/certificates?include_archived=true&per_page=500');
    expect(after.json.total).toBe(before.json.total);
  });

  it('archives on DELETE and bulk-revokes by criteria (admin only)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const body = certificateBody(basics, { environment: 'bulk' });
      const created = await call(server.api, 'POST', '/api/v1/certificates', {
        ...body,
        csr_pem: await makeCsr(String(body.common_name)),
      });
      ids.push(String(created.json.id));
    }
    await server.runner.runOnce();
    expect(
      (await call(server.api, 'POST', '/api/v1/certificates/bulk-revoke', { certificate_ids: ids }, KEYS.alice)).status,
    ).toBe(403);
    const bulk = await call(server.api, 'POST', '/api/v1/certificates/bulk-revoke', {
      certificate_ids: ids,
      reason: 'cessationOfOperation',
    });
    expect(bulk.status).toBe(202);
    expect(bulk.json).toMatchObject({ kind: 'revoke', total: 2 });
    // The revocations run in the background; the operation's items say how each went.
    for (let i = 0; i < 200; i++) {
      const op = await call(server.api, 'GET', `/api/v1/bulk-operations/${bulk.json.id}`);
      if (op.json.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await call(server.api, 'GET', `/api/v1/bulk-operations/${bulk.json.id}`)).json).toMatchObject({
      status: 'completed',
      counts: { succeeded: 2, failed: 0 },
    });
    const archived = certificateBody(basics);
    const created = await call(server.api, 'POST', '/api/v1/certificates', archived);
    expect((await call(server.api, 'DELETE', `/api/v1/certificates/${created.json.id}`)).status).toBe(204);
    expect((await call(server.api, 'GET', `/api/v1/certificates/${created.json.id}`)).json.status).toBe('archived');
  });
});
