import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { call, makeCsr } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { startTestServer } from './testing/test-server.js';

describeEachDialect('a restart of the server with the local CA', (ctx) => {
  const work = mkdtempSync(join(tmpdir(), 'certctl-restart-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-restart-data-'));
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing: inventory, versions, audit, and the same CA keeps issuing', async () => {
    const first = await startTestServer({ database: ctx, installed: true, dataDir });
    let certId: string;
    let caChain: string;
    let auditCount: number;
    try {
      const team = await call(first.api, 'POST', '/api/v1/teams', { name: `team-${ctx.dialect}` });
      const owner = await call(first.api, 'POST', '/api/v1/owners', {
        name: 'Ops',
        email: 'ops@example.com',
        team_id: team.json.id,
      });
      const policy = await call(first.api, 'POST', '/api/v1/renewal-policies', {
        name: `policy-${ctx.dialect}`,
        renewal_window_days: 30,
      });
      const created = await call(first.api, 'POST', '/api/v1/certificates', {
        name: `svc-${ctx.dialect}`,
        common_name: 'svc.example.com',
        sans: ['svc.example.com'],
        owner_id: owner.json.id,
        team_id: team.json.id,
        issuer_id: 'iss-local',
        renewal_policy_id: policy.json.id,
        csr_pem: await makeCsr('svc.example.com', ['svc.example.com']),
      });
      expect(created.status, created.body).toBe(201);
      certId = String(created.json.id);
      await first.runner.runOnce();
      expect((await call(first.api, 'GET', `/api/v1/certificates/${certId}`)).json.status).toBe('active');
      caChain = (await call(first.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body;
      auditCount = Number((await call(first.api, 'GET', '/api/v1/audit?per_page=1')).json.total);
      expect(auditCount).toBeGreaterThan(0);
    } finally {
      await first.stop();
    }

    const second = await startTestServer({ database: ctx, installed: true, dataDir });
    try {
      const cert = await call(second.api, 'GET', `/api/v1/certificates/${certId}`);
      expect(cert.json.status).toBe('active');
      expect((await call(second.api, 'GET', `/api/v1/certificates/${certId}/versions`)).json.total).toBe(1);
      expect(Number((await call(second.api, 'GET', '/api/v1/audit?per_page=1')).json.total)).toBeGreaterThanOrEqual(
        auditCount,
      );
      // The CA's key survived in the encrypted secret store: same chain, and a renewal chains to it.
      expect((await call(second.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body).toBe(caChain);
      const renewed = await call(second.api, 'POST', `/api/v1/certificates/${certId}/renew`, {});
      expect(renewed.status).toBeLessThan(300);
      await second.runner.runOnce();
      expect((await call(second.api, 'GET', `/api/v1/certificates/${certId}/versions`)).json.total).toBe(2);
      writeFileSync(join(work, 'ca.pem'), caChain);
      writeFileSync(
        join(work, 'leaf.pem'),
        (await call(second.api, 'GET', `/api/v1/certificates/${certId}/export/pem`)).body,
      );
      expect(
        execFileSync('openssl', ['verify', '-CAfile', 'ca.pem', 'leaf.pem'], { cwd: work, encoding: 'utf8' }),
      ).toContain('leaf.pem: OK');
    } finally {
      await second.stop();
    }
  });
});
