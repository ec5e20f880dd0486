import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  signCertificate,
} from '@certctl/pki';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('job trends, notifications read, and the admin views', (ctx) => {
  const ca = createTestCa();
  const work = mkdtempSync(join(tmpdir(), 'certctl-admin-views-'));
  const bundle = join(work, 'client-ca.pem');
  let server: TestServer;
  let firstCaPem = '';
  beforeAll(async () => {
    const clientCa = await createCertificateAuthority({ subject: { CN: 'Admin View Client CA' } });
    firstCaPem = clientCa.certificate.pem;
    writeFileSync(bundle, firstCaPem);
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      installed: true,
      listen: true,
      env: {
        CERTCTL_EST_PROFILES: 'iot',
        CERTCTL_EST_PROFILE_IOT_ISSUER_ID: 'iss-local',
        CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES: 'mtls',
        CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED: 'true',
        CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: bundle,
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('counts jobs per day by type and outcome', async () => {
    const basics = await createBasics(server.api);
    const issue = async () => {
      const body = certificateBody(basics);
      await call(server.api, 'POST', '/api/v1/certificates', {
        ...body,
        csr_pem: await makeCsr(String(body.common_name)),
      });
    };
    await issue();
    await issue();
    await server.runner.runOnce();
    await issue(); // queued, not run: still open
    const trends = await call(server.api, 'GET', '/api/v1/stats/job-trends?days=3');
    expect(trends.status).toBe(200);
    expect(trends.json.days).toBe(3);
    const rows = trends.json.data as { date: string; type: string; total: number }[];
    expect(rows).toHaveLength(9);
    const today = rows.at(-1)!.date; // the server's today (UTC): the last day listed
    const issuance = rows.find((r) => r.date === today && r.type === 'issuance')!;
    expect(issuance).toMatchObject({ total: 3, succeeded: 2, open: 1, failed: 0, cancelled: 0 });
    expect(rows.filter((r) => r.date !== today).every((r) => r.total === 0)).toBe(true);
    expect((await call(server.api, 'GET', '/api/v1/stats/job-trends?days=0')).status).toBe(400);
  });

  it('marks a notification read once, keeping the first reader', async () => {
    const id = `ntfy-admin-view-${ctx.dialect}`;
    await sql`INSERT INTO notification_outbox (id, dedup_key, event, severity, channel, notifier_id, payload, max_attempts, next_attempt_at)
      VALUES (${id}, ${id}, 'expiring', 'warning', 'email', 'ntf-x', '{}', 5, now())`.execute(server.deps.db);
    const read = await call(server.api, 'POST', `/api/v1/notifications/${id}/read`, undefined, KEYS.alice);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id, read_by: 'alice' });
    const again = await call(server.api, 'POST', `/api/v1/notifications/${id}/read`, undefined, KEYS.bob);
    expect(again.json).toEqual(read.json);
    expect((await call(server.api, 'POST', '/api/v1/notifications/ntfy-nope/read')).status).toBe(404);
    expect((await call(server.api, 'POST', `/api/v1/notifications/${id}/read`, undefined, KEYS.viewer)).status).toBe(
      403,
    );
  });

  it('shows the CRL cache, EST profiles with activity and trust bundle status, and re-reads bundles; admins only', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/admin/crl/cache'],
      ['GET', '/api/v1/admin/est/profiles'],
      ['GET', '/api/v1/admin/scep/profiles'],
      ['POST', '/api/v1/admin/est/reload-trust'],
      ['POST', '/api/v1/admin/scep/intune/reload-trust'],
    ] as const)
      expect((await call(server.api, method, path, undefined, KEYS.alice)).status, path).toBe(403);

    expect((await server.pki.inject({ method: 'GET', url: '/.well-known/pki/crl/iss-local' })).statusCode).toBe(200);
    const crl = await call(server.api, 'GET', '/api/v1/admin/crl/cache');
    expect(crl.status).toBe(200);
    const local = (
      crl.json.data as { issuer_id: string; crl_number: string; stale: boolean; size_bytes: number }[]
    ).find((c) => c.issuer_id === 'iss-local');
    expect(local).toMatchObject({ stale: false });
    expect(local!.size_bytes).toBeGreaterThan(0);

    const est = await call(server.api, 'GET', '/api/v1/admin/est/profiles');
    expect(est.json.data).toEqual([
      expect.objectContaining({
        profile: 'iot',
        path: '/.well-known/est/iot',
        issuer_id: 'iss-local',
        mtls_enabled: true,
        trust_bundles: [
          expect.objectContaining({
            purpose: 'mtls_client_ca',
            path: bundle,
            certificates: 1,
            expired: 0,
            error: null,
            subjects: [expect.stringContaining('Admin View Client CA')],
          }),
        ],
        activity: { certificates_total: 0, certificates_last_day: 0, last_enrolled_at: null },
      }),
    ]);
    expect((await call(server.api, 'GET', '/api/v1/admin/scep/profiles')).json.data).toEqual([]);

    writeFileSync(bundle, 'not a certificate\n');
    const reload = await call(server.api, 'POST', '/api/v1/admin/est/reload-trust');
    expect(reload.status).toBe(200);
    // The file is refused with its reason; the previous bundle stays in effect.
    expect(reload.json.data).toEqual([
      expect.objectContaining({
        path: bundle,
        certificates: 1,
        subjects: [expect.stringContaining('Admin View Client CA')],
        error: expect.stringContaining('no PEM certificate'),
      }),
    ]);
    const audit = await call(server.api, 'GET', '/api/v1/audit?action=trust_bundle_reload');
    expect(audit.json.data![0]).toMatchObject({ actor: 'admin', resource_id: 'est' });
  });

  it('a reload puts a replaced bundle in effect at once, even one whose size and mtime did not change', async () => {
    const previous = readFileSync(bundle, 'utf8');
    // Whole seconds, so the mtime can be put back exactly.
    const stamp = new Date(Math.floor(Date.now() / 1000 - 60) * 1000);
    writeFileSync(bundle, firstCaPem);
    utimesSync(bundle, stamp, stamp);
    await call(server.api, 'POST', '/api/v1/admin/est/reload-trust');
    // A second client CA and a device certificate under it.
    const rotated = await createCertificateAuthority({ subject: { CN: 'Rotated Client CA' } });
    const deviceKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const device = await signCertificate({
      subject: { CN: 'device-1.iot.example.com' },
      publicKey: deviceKeys.publicKey,
      issuer: { certificate: rotated.certificate.der, privateKey: rotated.keys.privateKey },
      extKeyUsage: ['clientAuth'],
    });
    const csr = await createCsr({ keys: deviceKeys, subject: { CN: 'device-1.iot.example.com' } });
    const enroll = () =>
      new Promise<number>((resolve, reject) => {
        const body = Buffer.from(csr.der).toString('base64');
        const req = request(
          `${server.urls.api}/.well-known/est-mtls/iot/simpleenroll`,
          {
            method: 'POST',
            rejectUnauthorized: false,
            cert: device.pem,
            key: exportPrivateKeyPem(deviceKeys.privateKey),
            headers: { 'content-type': 'application/pkcs10', 'content-length': body.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(await enroll()).toBe(403);
    // The rotated CA in the file, padded to the old size, with the old mtime: nothing a stat sees changed.
    // A shorter subject than the first CA's, so the file can be padded to the old size.
    const padded = rotated.certificate.pem.padEnd(firstCaPem.length, ' ');
    expect(padded.length).toBe(firstCaPem.length);
    writeFileSync(bundle, padded);
    utimesSync(bundle, stamp, stamp);
    expect(statSync(bundle).mtimeMs).toBe(stamp.getTime());
    expect(await enroll()).toBe(403);
    const reload = await call(server.api, 'POST', '/api/v1/admin/est/reload-trust');
    expect(reload.json.data).toEqual([
      expect.objectContaining({
        path: bundle,
        certificates: 1,
        subjects: [expect.stringContaining('Rotated Client CA')],
        error: null,
      }),
    ]);
    expect(await enroll()).toBe(200);
    writeFileSync(bundle, previous);
  });
});
