import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('agent groups', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  const agents: Record<string, { id: string; key: string }> = {};

  const register = async (name: string, metadata: Record<string, unknown>) => {
    const r = await call(server.api, 'POST', '/api/v1/agents', { name: `${name}-${ctx.dialect}`, ...metadata });
    expect(r.status, r.body).toBe(201);
    agents[name] = { id: String(r.json.id), key: String(r.json.api_key) };
  };

  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api);
    await register('web1', { hostname: 'web-1.example.net', os: 'linux', architecture: 'amd64' });
    await register('web2', { hostname: 'web-2.example.net', os: 'Linux', architecture: 'amd64' });
    await register('arm', { hostname: 'web-3.example.net', os: 'linux', architecture: 'arm64' });
    await register('win', { hostname: 'iis-1.example.net', os: 'windows', architecture: 'amd64' });
    await register('db', { hostname: 'db-1.example.net', os: 'linux', architecture: 'amd64' });
  });
  afterAll(() => server?.stop());

  const memberNames = async (groupId: string) => {
    const r = await call(server.api, 'GET', `/api/v1/agent-groups/${groupId}/members`, undefined, KEYS.viewer);
    expect(r.status, r.body).toBe(200);
    const byId = new Map(Object.entries(agents).map(([n, a]) => [a.id, n]));
    return r.json.data!.map((m) => `${byId.get(String(m.id))}:${m.membership}`).sort();
  };

  it('matches OS, architecture, hostname pattern and labels, with manual include and exclude', async () => {
    for (const name of ['web1', 'web2', 'arm']) {
      const labelled = await call(server.api, 'PUT', `/api/v1/agents/${agents[name]!.id}/labels`, {
        labels: { tier: 'web', zone: name === 'web2' ? 'b' : 'a' },
      });
      expect(labelled.status, labelled.body).toBe(200);
    }
    const created = await call(server.api, 'POST', '/api/v1/agent-groups', {
      name: `linux-web-${ctx.dialect}`,
      match_os: 'linux',
      match_architecture: 'amd64',
      match_hostname: 'web-*.example.net',
      match_labels: { tier: 'web' },
      include_agent_ids: [agents.db!.id],
    });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({ include_agent_ids: [agents.db!.id], exclude_agent_ids: [], enabled: true });
    const groupId = String(created.json.id);
    expect(await memberNames(groupId)).toEqual(['db:included', 'web1:matched', 'web2:matched']);

    const narrowed = await call(server.api, 'PUT', `/api/v1/agent-groups/${groupId}`, {
      match_labels: { tier: 'web', zone: 'a' },
      exclude_agent_ids: [agents.db!.id],
      include_agent_ids: [],
    });
    expect(narrowed.status, narrowed.body).toBe(200);
    expect(await memberNames(groupId)).toEqual(['web1:matched']);

    const contradictory = await call(server.api, 'PUT', `/api/v1/agent-groups/${groupId}`, {
      include_agent_ids: [agents.win!.id],
      exclude_agent_ids: [agents.win!.id],
    });
    expect(contradictory.status).toBe(400);
    expect(contradictory.json.error).toBe('invalid_request');
    expect((await call(server.api, 'GET', `/api/v1/agent-groups/${groupId}`)).json.exclude_agent_ids).toEqual([
      agents.db!.id,
    ]);
    const unknown = await call(server.api, 'POST', '/api/v1/agent-groups', {
      name: 'ghosts',
      include_agent_ids: ['agent-nope'],
    });
    expect(unknown.status).toBe(400);

    const audit = await server.deps.db
      .selectFrom('auditEvents')
      .select('action')
      .where('resourceId', '=', groupId)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['agent_group_created', 'agent_group_updated']);
  });

  it('a target addressed to a group is deployed by each member agent, and only members get its config', async () => {
    const group = await call(server.api, 'POST', '/api/v1/agent-groups', {
      name: `amd64-web-${ctx.dialect}`,
      match_architecture: 'amd64',
      match_labels: { tier: 'web' },
    });
    expect(group.status, group.body).toBe(201);
    const groupId = String(group.json.id);
    expect(await memberNames(groupId)).toEqual(['web1:matched', 'web2:matched']);

    const target = await call(server.api, 'POST', '/api/v1/targets', {
      name: `fleet-${ctx.dialect}`,
      type: 'nginx',
      config: { cert_path: '/etc/nginx/tls/site.crt', key_path: '/etc/nginx/tls/site.key' },
    });
    expect(target.status, target.body).toBe(201);
    const targetId = String(target.json.id);
    const addressed = await call(server.api, 'PUT', `/api/v1/targets/${targetId}/agent-group`, {
      agent_group_id: groupId,
    });
    expect(addressed.status, addressed.body).toBe(200);
    expect(addressed.json).toEqual({ agent_group_id: groupId });

    const body = certificateBody(basics, { target_ids: [targetId] });
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(certificate.status, certificate.body).toBe(201);
    await server.runner.runOnce();

    const deployments = await server.deps.db
      .selectFrom('jobs')
      .select('agentId')
      .where('targetId', '=', targetId)
      .where('type', '=', 'deployment')
      .execute();
    expect(deployments.map((d) => d.agentId).sort()).toEqual([agents.web1!.id, agents.web2!.id].sort());

    for (const name of ['web1', 'web2']) {
      const agent = agents[name]!;
      const work = await call(server.api, 'GET', `/api/v1/agents/${agent.id}/work`, undefined, agent.key);
      expect(work.status, work.body).toBe(200);
      const job = (work.json.jobs as { target_id?: string; target_config?: Record<string, unknown> }[]).find(
        (j) => j.target_id === targetId,
      );
      expect(job?.target_config).toMatchObject({ cert_path: '/etc/nginx/tls/site.crt' });
      const pem = await call(
        server.api,
        'GET',
        `/api/v1/agents/${agent.id}/certificates/${certificate.json.id}`,
        undefined,
        agent.key,
      );
      expect(pem.status, pem.body).toBe(200);
    }
    const outsider = agents.db!;
    const outsiderWork = await call(server.api, 'GET', `/api/v1/agents/${outsider.id}/work`, undefined, outsider.key);
    expect(outsiderWork.body).not.toContain(targetId);
    const stolen = await call(
      server.api,
      'GET',
      `/api/v1/agents/${outsider.id}/certificates/${certificate.json.id}`,
      undefined,
      outsider.key,
    );
    expect(stolen.status).toBe(403);

    const inUse = await call(server.api, 'DELETE', `/api/v1/agent-groups/${groupId}`);
    expect(inUse.status).toBe(409);
    expect(
      (await call(server.api, 'PUT', `/api/v1/targets/${targetId}/agent-group`, { agent_group_id: null })).json,
    ).toEqual({ agent_group_id: null });
    expect((await call(server.api, 'DELETE', `/api/v1/agent-groups/${groupId}`)).status).toBe(204);
    expect((await call(server.api, 'GET', `/api/v1/agent-groups/${groupId}`)).status).toBe(404);
  });

  it('a renewal policy addressed to a group has a member make each CSR, and refuses when the group has none', async () => {
    const group = await call(server.api, 'POST', '/api/v1/agent-groups', {
      name: `renewers-${ctx.dialect}`,
      include_agent_ids: [agents.web2!.id],
    });
    expect(group.status, group.body).toBe(201);
    const groupId = String(group.json.id);
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `fleet-renewals-${ctx.dialect}`,
      renewal_window_days: 30,
    });
    expect(policy.status, policy.body).toBe(201);
    const policyId = String(policy.json.id);
    const groupPath = `/api/v1/renewal-policies/${policyId}/agent-group`;
    expect((await call(server.api, 'GET', groupPath, undefined, KEYS.viewer)).json).toEqual({ agent_group_id: null });
    expect((await call(server.api, 'PUT', groupPath, { agent_group_id: groupId }, KEYS.viewer)).status).toBe(403);
    expect((await call(server.api, 'PUT', groupPath, { agent_group_id: 'ag-nope' })).status).toBe(400);
    expect((await call(server.api, 'GET', groupPath, undefined, KEYS.viewer)).json).toEqual({ agent_group_id: null });
    expect((await call(server.api, 'PUT', groupPath, { agent_group_id: groupId })).json).toEqual({
      agent_group_id: groupId,
    });
    expect((await call(server.api, 'GET', groupPath, undefined, KEYS.viewer)).json).toEqual({
      agent_group_id: groupId,
    });

    // The certificate names an agent outside the group: the member makes its CSR and keeps its key.
    const body = certificateBody(basics, { renewal_policy_id: policyId, agent_id: agents.arm!.id });
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', body);
    expect(certificate.status, certificate.body).toBe(201);
    const certificateId = String(certificate.json.id);
    const openJob = async () =>
      server.deps.db
        .selectFrom('jobs')
        .select(['id', 'agentId', 'status'])
        .where('certificateId', '=', certificateId)
        .where('status', 'not in', ['succeeded', 'failed', 'cancelled'])
        .executeTakeFirst();
    expect(await openJob()).toMatchObject({ agentId: agents.web2!.id, status: 'awaiting_csr' });
    expect((await call(server.api, 'GET', `/api/v1/certificates/${certificateId}`)).json.agent_id).toBe(
      agents.web2!.id,
    );
    const reassigned = await call(server.api, 'GET', '/api/v1/audit?action=certificate_agent_reassigned');
    expect(reassigned.json.data).toContainEqual(
      expect.objectContaining({
        resource_id: certificateId,
        details: expect.objectContaining({ from: agents.arm!.id, to: agents.web2!.id, agent_group_id: groupId }),
      }),
    );
    const workOf = async (name: string) =>
      (await call(server.api, 'GET', `/api/v1/agents/${agents[name]!.id}/work`, undefined, agents[name]!.key)).body;
    expect(await workOf('web2')).toContain(certificateId);
    expect(await workOf('arm')).not.toContain(certificateId);
    const refused = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agents.arm!.id}/csr`,
      { certificate_id: certificateId, csr_pem: await makeCsr(String(body.common_name)) },
      agents.arm!.key,
    );
    expect(refused.status).toBe(403);
    const submitted = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agents.web2!.id}/csr`,
      { certificate_id: certificateId, csr_pem: await makeCsr(String(body.common_name)) },
      agents.web2!.key,
    );
    expect(submitted.status, submitted.body).toBe(202);
    await server.runner.runOnce();
    expect((await call(server.api, 'GET', `/api/v1/certificates/${certificateId}`)).json.status).toBe('active');

    // The renewal goes to the member too.
    expect((await call(server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`, {})).status).toBe(202);
    const renewal = await openJob();
    expect(renewal).toMatchObject({ agentId: agents.web2!.id, status: 'awaiting_csr' });
    expect((await call(server.api, 'POST', `/api/v1/jobs/${renewal!.id}/cancel`)).status).toBe(200);

    // No live member: the renewal is refused with the reason; the group cannot be deleted while addressed.
    expect((await call(server.api, 'PUT', `/api/v1/agent-groups/${groupId}`, { include_agent_ids: [] })).status).toBe(
      200,
    );
    const none = await call(server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`, {});
    expect(none.status).toBe(409);
    expect(none.json.message).toContain(`agent group ${groupId}, which has no live member`);
    expect((await call(server.api, 'DELETE', `/api/v1/agent-groups/${groupId}`)).status).toBe(409);
    expect((await call(server.api, 'PUT', groupPath, { agent_group_id: null })).json).toEqual({
      agent_group_id: null,
    });
    expect((await call(server.api, 'DELETE', `/api/v1/agent-groups/${groupId}`)).status).toBe(204);
  });
});
