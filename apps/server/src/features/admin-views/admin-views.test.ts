import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '@certctl/pki';
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
  beforeAll(async () => {
    const clientCa = await createCertificateAuthority({ subject: { CN: 'Admin View Client CA' } });
    writeFileSync(bundle, clientCa.certificate.pem);
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      installed: true,
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
    expect(reload.json.data).toEqual([
      expect.objectContaining({ path: bundle, certificates: 0, error: expect.any(String) }),
    ]);
    const audit = await call(server.api, 'GET', '/api/v1/audit?action=trust_bundle_reload');
    expect(audit.json.data![0]).toMatchObject({ actor: 'admin', resource_id: 'est' });
  });
});
