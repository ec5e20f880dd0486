import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('agent retirement', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api);
  });
  afterAll(() => server?.stop());

  const register = async (name: string) => {
    const r = await call(server.api, 'POST', '/api/v1/agents', { name: `${name}-${ctx.dialect}` });
    expect(r.status, r.body).toBe(201);
    return { id: String(r.json.id), key: String(r.json.api_key) };
  };

  it('refuses while targets, certificates and jobs depend on the agent, listing them, and changes nothing', async () => {
    const agent = await register('busy');
    const target = await call(server.api, 'POST', '/api/v1/targets', {
      name: `busy-target-${ctx.dialect}`,
      type: 'nginx',
      agent_id: agent.id,
      config: { cert_path: '/etc/nginx/a.crt', key_path: '/etc/nginx/a.key' },
    });
    expect(target.status, target.body).toBe(201);
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', {
      ...certificateBody(basics),
      agent_id: agent.id,
    });
    expect(certificate.status, certificate.body).toBe(201);
    const job = await server.deps.db
      .selectFrom('jobs')
      .select(['id', 'status'])
      .where('certificateId', '=', String(certificate.json.id))
      .executeTakeFirstOrThrow();
    expect(job.status).toBe('awaiting_csr');

    const refused = await call(server.api, 'DELETE', `/api/v1/agents/${agent.id}`);
    expect(refused.status, refused.body).toBe(409);
    expect(refused.json.error).toBe('conflict');
    expect(refused.json.details).toEqual({
      counts: { active_targets: 1, active_certificates: 1, pending_jobs: 1 },
      target_ids: [target.json.id],
      certificate_ids: [certificate.json.id],
      job_ids: [job.id],
    });
    const noReason = await call(server.api, 'DELETE', `/api/v1/agents/${agent.id}?force=true`);
    expect(noReason.status).toBe(400);
    const heartbeat = await call(server.api, 'POST', `/api/v1/agents/${agent.id}/heartbeat`, {}, agent.key);
    expect(heartbeat.status, heartbeat.body).toBe(200);
    expect((await call(server.api, 'GET', `/api/v1/agents/${agent.id}`)).json.retired_at).toBeNull();

    const forced = await call(
      server.api,
      'DELETE',
      `/api/v1/agents/${agent.id}?force=true&reason=${encodeURIComponent('host decommissioned')}`,
    );
    expect(forced.status, forced.body).toBe(204);
    expect((await call(server.api, 'GET', `/api/v1/targets/${target.json.id}`)).json.enabled).toBe(false);
    const cancelled = await server.deps.db
      .selectFrom('jobs')
      .select(['status', 'lastError'])
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    expect(cancelled).toEqual({
      status: 'cancelled',
      lastError: `agent ${agent.id} was retired: host decommissioned`,
    });

    for (const [method, path, body] of [
      ['POST', `/api/v1/agents/${agent.id}/heartbeat`, {}],
      ['GET', `/api/v1/agents/${agent.id}/work`, undefined],
    ] as const) {
      const gone = await call(server.api, method, path, body, agent.key);
      expect(gone.status, gone.body).toBe(410);
      expect(gone.json.message).toBe(`agent ${agent.id} is retired (by admin: host decommissioned)`);
    }
    expect((await call(server.api, 'DELETE', `/api/v1/agents/${agent.id}`)).status).toBe(204);

    const retired = await call(server.api, 'GET', '/api/v1/agents/retired', undefined, KEYS.viewer);
    expect(retired.status, retired.body).toBe(200);
    expect(retired.json.data!.find((a) => a.id === agent.id)).toMatchObject({
      status: 'retired',
      retired_reason: 'host decommissioned',
      retired_by: 'admin',
      forced: true,
    });
    expect((await call(server.api, 'GET', '/api/v1/agents')).json.data!.some((a) => a.id === agent.id)).toBe(false);
    const audit = await server.deps.db
      .selectFrom('auditEvents')
      .select(['action', 'details'])
      .where('resourceId', '=', agent.id)
      .where('action', '=', 'agent_retired')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ reason: 'host decommissioned', force: true, job_ids: [job.id] });
  });

  it('retires an idle agent without force', async () => {
    const agent = await register('idle');
    expect((await call(server.api, 'DELETE', `/api/v1/agents/${agent.id}`)).status).toBe(204);
    const gone = await call(server.api, 'GET', `/api/v1/agents/${agent.id}/work`, undefined, agent.key);
    expect(gone.status).toBe(410);
    expect((await call(server.api, 'DELETE', '/api/v1/agents/agent-missing')).status).toBe(404);
  });
});
