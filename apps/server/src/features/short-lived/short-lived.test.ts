import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { enqueueExpiryAlerts } from '../notifications/expiry-alerts.js';

describeEachDialect('short-lived certificates', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  let offsetMs = 0;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      installed: true,
      listen: true,
      env: { CERTCTL_SERVER_HOST: '127.0.0.1' },
      now: () => new Date(Date.now() + offsetMs),
    });
    basics = await createBasics(server.api);
  });
  afterAll(() => server?.stop());

  async function issuedOn(profile: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
    const created = await call(server.api, 'POST', '/api/v1/profiles', { name: `p-${Math.random()}`, ...profile });
    expect(created.status).toBe(201);
    const body = certificateBody(basics, { profile_id: created.json.id, ...extra });
    const cert = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    await server.runner.runOnce();
    expect((await call(server.api, 'GET', `/api/v1/certificates/${cert.json.id}`)).json.status).not.toBe('pending');
    return String(cert.json.id);
  }

  it('are listed with their remaining TTL, cannot be revoked, raise no expiry alert, and are expired by the loop', async () => {
    const shortLived = await issuedOn({ allow_short_lived: true, max_ttl_seconds: 600 });
    // Same lifetime, but the profile does not declare it short-lived: an ordinary certificate.
    const ordinary = await issuedOn({ allow_short_lived: false, max_ttl_seconds: 600 });

    const listed = await call(server.api, 'GET', '/api/v1/short-lived-certificates');
    expect(listed.json.data!.map((c) => c.id)).toEqual([shortLived]);
    expect(listed.json.data!.map((c) => c.id)).not.toContain(ordinary);
    const remaining = Number(listed.json.data![0]!.remaining_ttl_seconds);
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(600);
    expect(listed.json.data![0]).toMatchObject({ status: 'expiring', max_ttl_seconds: 600 });
    const version = (await call(server.api, 'GET', `/api/v1/certificates/${shortLived}/versions`)).json.data![0]!;
    expect(
      new Date(String(version.not_after)).getTime() - new Date(String(version.not_before)).getTime(),
    ).toBeLessThanOrEqual(600_000);

    const revoke = await call(server.api, 'POST', `/api/v1/certificates/${shortLived}/revoke`, {
      reason: 'superseded',
    });
    expect(revoke.status).toBe(409);
    expect(revoke.json.message).toContain('short-lived');
    expect((await call(server.api, 'GET', `/api/v1/certificates/${shortLived}`)).json.status).toBe('expiring');
    expect(
      await call(server.api, 'GET', `/api/v1/audit?resource_id=${shortLived}&action=certificate_revoked`),
    ).toMatchObject({
      json: { total: 0 },
    });

    // Both are inside the last alert threshold (0 days); only the ordinary one is considered for an alert.
    const alerts = await enqueueExpiryAlerts(server.deps);
    expect(alerts.examined).toBe(1);

    offsetMs = 601_000;
    await server.scheduler.runLoop('expiry');
    expect((await call(server.api, 'GET', `/api/v1/certificates/${shortLived}`)).json.status).toBe('expired');
    expect((await call(server.api, 'GET', '/api/v1/short-lived-certificates')).json.total).toBe(0);
    const withExpired = await call(server.api, 'GET', '/api/v1/short-lived-certificates?include_expired=true');
    expect(withExpired.json.data![0]).toMatchObject({ id: shortLived, status: 'expired', remaining_ttl_seconds: 0 });
    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${shortLived}&action=certificate_expired`);
    expect(audit.json.total).toBe(1);
  });

  it('from the local CA carry no CRL or OCSP URL, and its OCSP responder answers good for them (openssl ocsp)', async () => {
    offsetMs = 0;
    const id = await issuedOn({ allow_short_lived: true, max_ttl_seconds: 900 }, { issuer_id: 'iss-local' });
    const version = (await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.data![0]!;
    const parsed = parseCertificate(String(version.certificate_pem));
    expect(parsed.crlDistributionPoints).toEqual([]);
    expect(parsed.ocspUrls).toEqual([]);
    const work = mkdtempSync(join(tmpdir(), 'certctl-short-lived-'));
    try {
      writeFileSync(join(work, 'leaf.pem'), String(version.certificate_pem));
      writeFileSync(join(work, 'ca.pem'), (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body);
      const ocsp = () =>
        promisify(execFile)(
          'openssl',
          [
            'ocsp',
            '-issuer',
            'ca.pem',
            '-cert',
            'leaf.pem',
            '-url',
            `${server.urls.pki}/.well-known/pki/ocsp/iss-local`,
            '-CAfile',
            'ca.pem',
          ],
          { cwd: work, encoding: 'utf8' },
        ).then(({ stdout, stderr }) => stdout + stderr);
      expect(await ocsp()).toContain('leaf.pem: good');
      expect((await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, {})).status).toBe(409);
      expect(await ocsp()).toContain('leaf.pem: good');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
