import { defineNotifier } from '@certctl/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { heartbeat } from '../agents/agents.js';
import { reapTimeouts } from '../issuance/maintenance.js';

describeEachDialect('incidents recovery ends', (ctx) => {
  const ca = createTestCa();
  const pages: { key: string; event: string }[] = [];
  const resolved: string[] = [];
  const pager = defineNotifier({
    specificationVersion: 'v1',
    id: 'pagerduty',
    displayName: 'Recording pager',
    version: '0.0.0',
    configSchema: z.object({ service: z.string() }).strict(),
    capabilities: { resolve: true },
    create: () => ({
      send: async (n) => {
        pages.push({ key: n.dedupKey, event: n.event });
        return { detail: 'paged' };
      },
      resolve: async (key) => {
        resolved.push(key);
      },
    }),
  });
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest, pager],
      env: { CERTCTL_AGENT_OFFLINE_ALERT_CHANNELS: 'PagerDuty,Email' },
    });
    const notifier = await call(server.api, 'POST', '/api/v1/notifiers', {
      name: `pager-${ctx.dialect}`,
      type: 'pagerduty',
      config: { service: 'ops' },
    });
    if (notifier.status !== 201) throw new Error(notifier.body);
  });
  afterAll(() => server?.stop());

  it('groups the failed retry rounds of one version into one incident and resolves it when the renewal succeeds', async () => {
    const basics = await createBasics(server.api, {
      max_retries: 1,
      alert_channels: { informational: [], warning: ['PagerDuty'], critical: ['PagerDuty'] },
    });
    const body = certificateBody(basics);
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    const id = String(created.json.id);
    await server.runner.runOnce();
    // Two rounds fail for good (one attempt each): two pages, one incident.
    for (let round = 0; round < 2; round++) {
      ca.control.failNext = 1;
      expect((await call(server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      await server.runner.runOnce();
      await server.scheduler.runLoop('notifications');
    }
    const failures = pages.filter((p) => p.event === 'renewal_failed' && p.key.includes(id));
    expect(failures).toHaveLength(2);
    expect(new Set(failures.map((p) => p.key)).size).toBe(1);
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('failed');
    expect(resolved).not.toContain(failures[0]!.key);

    expect((await call(server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
    await server.runner.runOnce();
    await server.scheduler.runLoop('notifications');
    expect(resolved.filter((key) => key === failures[0]!.key)).toHaveLength(1);
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('active');
  });

  it('resolves the agent-offline incident when the agent sends a heartbeat again', async () => {
    const registered = await call(server.api, 'POST', '/api/v1/agents', { name: `returning-${ctx.dialect}` });
    const id = String(registered.json.id);
    const actor = { name: 'returning', type: 'agent' as const, role: 'agent' as const, agentId: id };
    await heartbeat(server.deps, actor, id, {});
    const silent = new Date(Date.now() + server.deps.settings.agentOfflineAfterMs + 60_000);
    expect((await reapTimeouts(server.deps, silent)).agents).toBeGreaterThanOrEqual(1);
    await server.scheduler.runLoop('notifications');
    const key = `certctl-agent-offline-${id}`;
    expect(pages.filter((p) => p.key === key)).toHaveLength(1);
    expect(resolved).not.toContain(key);
    await heartbeat(server.deps, actor, id, {});
    await server.scheduler.runLoop('notifications');
    expect(resolved.filter((k) => k === key)).toHaveLength(1);
    // Only resolvable channels get the resolve: nothing dead-lettered for Email.
    const dead = await server.deps.db
      .selectFrom('notificationOutbox')
      .select('id')
      .where('action', '=', 'resolve')
      .where('status', '=', 'dead')
      .execute();
    expect(dead).toEqual([]);
  });
});
