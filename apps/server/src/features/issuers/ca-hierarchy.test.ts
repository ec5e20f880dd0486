import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describeEachDialect('CA hierarchy through the admin API', (ctx) => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'certctl-tree-'));
  const base = `/api/v1/issuers/iss-tree-${ctx.dialect}`;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, installed: true });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('builds root → policy → issuing, issues through it (openssl verifies the chain), drains and retires', async () => {
    const issuer = await call(server.api, 'POST', '/api/v1/issuers', {
      id: `iss-tree-${ctx.dialect}`,
      name: `tree ${ctx.dialect}`,
      type: 'local',
      config: { hierarchy_mode: 'tree', ca_common_name: 'Tree Root' },
    });
    expect(issuer.status).toBe(201);
    expect((await call(server.api, 'GET', '/api/v1/issuers/iss-local/intermediates')).status).toBe(409);

    // Admin only: operators and viewers are refused.
    expect((await call(server.api, 'GET', `${base}/intermediates`, undefined, KEYS.alice)).status).toBe(403);
    expect(
      (
        await call(
          server.api,
          'POST',
          `${base}/intermediates`,
          { name: 'x', common_name: 'x', validity_days: 30 },
          KEYS.viewer,
        )
      ).status,
    ).toBe(403);

    const policy = await call(server.api, 'POST', `${base}/intermediates`, {
      name: 'policy',
      common_name: 'Tree Policy CA',
      validity_days: 1825,
      path_length: 1,
      name_constraints: { permitted_dns: ['corp.example'] },
    });
    expect(policy.status).toBe(201);
    expect(policy.json).toMatchObject({
      id: 'policy',
      parent_id: 'root',
      state: 'active',
      issuing: false,
      path_length: 1,
      name_constraints: { permitted_dns: ['corp.example'] },
    });
    const issuing = await call(server.api, 'POST', `${base}/intermediates`, {
      parent_id: 'policy',
      name: 'issuing-1',
      common_name: 'Tree Issuing CA 1',
      validity_days: 365,
      issuing: true,
    });
    expect(issuing.status).toBe(201);
    expect(issuing.json).toMatchObject({ issuing: true, path_length: 0 });

    // Refusals are the admin's to fix: 409/400, nothing created.
    expect(
      (
        await call(server.api, 'POST', `${base}/intermediates`, {
          parent_id: 'issuing-1',
          name: 'deeper',
          common_name: 'x',
          validity_days: 30,
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await call(server.api, 'POST', `${base}/intermediates`, {
          name: 'bad-ip',
          common_name: 'x',
          validity_days: 30,
          name_constraints: { permitted_ip: ['10.0.0.0/99'] },
        })
      ).status,
    ).toBe(400);
    const tree = await call(server.api, 'GET', `${base}/intermediates`);
    expect(tree.json.data!.map((ca) => ca.id)).toEqual(['root', 'policy', 'issuing-1']);

    const team = await call(server.api, 'POST', '/api/v1/teams', { name: `tree-${ctx.dialect}` });
    const owner = await call(server.api, 'POST', '/api/v1/owners', {
      name: 'Ops',
      email: 'ops@example.com',
      team_id: team.json.id,
    });
    const renewal = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `tree-${ctx.dialect}`,
      renewal_window_days: 30,
    });
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      name: `svc-${ctx.dialect}`,
      common_name: 'svc.corp.example',
      sans: [],
      owner_id: owner.json.id,
      team_id: team.json.id,
      issuer_id: `iss-tree-${ctx.dialect}`,
      renewal_policy_id: renewal.json.id,
      csr_pem: await makeCsr('svc.corp.example'),
    });
    expect(created.status).toBe(201);
    await server.runner.runOnce();
    const id = String(created.json.id);
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('active');
    writeFileSync(
      join(work, 'leaf.pem'),
      (await call(server.api, 'GET', `/api/v1/certificates/${id}/export/pem`)).body,
    );
    const chain = (await call(server.api, 'GET', `${base}/ca-chain`)).body;
    const blocks = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
    expect(blocks).toHaveLength(3);
    writeFileSync(join(work, 'root.pem'), blocks[2]!);
    writeFileSync(join(work, 'untrusted.pem'), blocks.slice(0, 2).join(''));
    expect(openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem', 'leaf.pem'], work)).toContain(
      'leaf.pem: OK',
    );
    expect(openssl(['x509', '-in', 'leaf.pem', '-noout', '-issuer'], work)).toContain('Tree Issuing CA 1');

    // Switch issuing CA, drain the old one: retiring works, retired is refused while the leaf is valid.
    expect(
      (
        await call(server.api, 'POST', `${base}/intermediates`, {
          parent_id: 'policy',
          name: 'issuing-2',
          common_name: 'Tree Issuing CA 2',
          validity_days: 365,
        })
      ).status,
    ).toBe(201);
    expect((await call(server.api, 'POST', `${base}/intermediates/issuing-1/retire`, {})).status).toBe(409);
    expect((await call(server.api, 'POST', `${base}/intermediates/issuing-2/issuing`)).json).toMatchObject({
      issuing: true,
    });
    expect((await call(server.api, 'POST', `${base}/intermediates/issuing-1/retire`, {})).json).toMatchObject({
      state: 'retiring',
    });
    const early = await call(server.api, 'POST', `${base}/intermediates/issuing-1/retire`, { state: 'retired' });
    expect(early.status).toBe(409);
    expect(early.json.message).toMatch(/still draining: 1 certificate/);
    expect((await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, { reason: 'superseded' })).status).toBe(
      200,
    );
    const retired = await call(server.api, 'POST', `${base}/intermediates/issuing-1/retire`, { state: 'retired' });
    expect(retired.status).toBe(200);
    expect(retired.json.state).toBe('retired');

    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=iss-tree-${ctx.dialect}`);
    const actions = (audit.json.data ?? []).map((event) => event.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'create_intermediate_ca',
        'set_issuing_ca',
        'drain_intermediate_ca',
        'retire_intermediate_ca',
      ]),
    );
  });
});
