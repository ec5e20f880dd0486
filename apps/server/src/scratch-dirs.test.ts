import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { call, makeCsr } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { startTestServer } from './testing/test-server.js';

describeEachDialect('connector scratch directories', (ctx) => {
  const previous = process.env.TMPDIR;

  it('are made per connector instance and removed when the server stops', async () => {
    const scratchRoot = mkdtempSync(join(tmpdir(), 'certctl-scratch-root-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'certctl-scratch-data-'));
    // os.tmpdir() reads TMPDIR on each call: the scratch directories land where only this test looks.
    process.env.TMPDIR = scratchRoot;
    try {
      const server = await startTestServer({ database: ctx, installed: true, dataDir });
      try {
        const team = await call(server.api, 'POST', '/api/v1/teams', { name: `scratch-${ctx.dialect}` });
        const owner = await call(server.api, 'POST', '/api/v1/owners', {
          name: 'Ops',
          email: 'ops@example.com',
          team_id: team.json.id,
        });
        const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
          name: `scratch-${ctx.dialect}`,
          renewal_window_days: 30,
        });
        const created = await call(server.api, 'POST', '/api/v1/certificates', {
          name: `scratch-${ctx.dialect}`,
          common_name: 'scratch.example.com',
          owner_id: owner.json.id,
          team_id: team.json.id,
          issuer_id: 'iss-local',
          renewal_policy_id: policy.json.id,
          csr_pem: await makeCsr('scratch.example.com', ['scratch.example.com']),
        });
        expect(created.status, created.body).toBe(201);
        await server.runner.runOnce();
        expect((await call(server.api, 'GET', `/api/v1/certificates/${created.json.id}`)).json.status).toBe('active');
        expect(readdirSync(scratchRoot).some((name) => name.startsWith('certctl-issuer-local-'))).toBe(true);
      } finally {
        await server.stop();
      }
      expect(readdirSync(scratchRoot)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(scratchRoot, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
