import webhookNotifier from '@certctl/notifier-webhook';
import { createCertificateAuthority, createCsr, exportPrivateKeyPem, generateKeyPair } from '@certctl/pki';
import { freePort, startNginxTls } from '@certctl/tooling/services';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { type FailingEndpoint, startFailingEndpoint } from '../../testing/notification-receivers.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

const BOOTSTRAP = 'bootstrap-token-for-health-checks-0123';

describeEachDialect('endpoint health checks', (ctx) => {
  let server: TestServer;
  let basics: Basics;
  let receiver: FailingEndpoint;
  let nginx: Awaited<ReturnType<typeof startNginxTls>>;
  let certificateId = '';
  let deployed = { certPem: '', keyPem: '' };
  // One address per dialect so both runs can hold their own nginx.
  const address = ctx.dialect === 'pglite' ? '127.0.0.5' : '127.0.0.6';

  beforeAll(async () => {
    receiver = await startFailingEndpoint();
    receiver.status = 200;
    server = await startTestServer({
      database: ctx,
      connectors: [createTestCa().manifest, webhookNotifier],
      // The webhook receiver listens on loopback: allowed by the operator setting.
      env: { CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP, CERTCTL_NETWORK_ALLOW: '127.0.0.1' },
    });
    basics = await createBasics(server.api, {
      alert_channels: { warning: ['Webhook'], critical: ['Webhook'] },
    });
    const hook = await call(server.api, 'POST', '/api/v1/notifiers', {
      name: 'incident hook',
      type: 'webhook',
      config: { url: `${receiver.url}/hook`, allow_loopback: true },
    });
    expect(hook.status, hook.body).toBe(201);
    // A managed certificate issued by certctl, with its key kept here to play the deployed server.
    const body = certificateBody(basics);
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const csr = await createCsr({ keys, subject: { CN: String(body.common_name) } });
    const issued = await call(server.api, 'POST', '/api/v1/certificates', { ...body, csr_pem: csr.pem });
    expect(issued.status, issued.body).toBe(201);
    certificateId = String(issued.json.id);
    await server.runner.runOnce();
    const pem = await call(server.api, 'GET', `/api/v1/certificates/${certificateId}/export/pem`);
    expect(pem.status).toBe(200);
    deployed = { certPem: pem.body, keyPem: exportPrivateKeyPem(keys.privateKey) };
    nginx = await startNginxTls({ address, port: await freePort(), ...deployed });
  });
  afterAll(async () => {
    await nginx?.stop();
    await server?.stop();
    await receiver?.close();
  });

  const deliveries = () => receiver.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  const check = (id: string) => call(server.api, 'POST', `/api/v1/health-checks/${id}/check`, undefined, KEYS.alice);

  it('turns cert_mismatch when the served certificate is swapped by hand, and healthy after a deploy, opening and closing the alert', async () => {
    const created = await call(
      server.api,
      'POST',
      '/api/v1/health-checks',
      { name: 'shop', endpoint: `${address}:${nginx.port}`, certificate_id: certificateId, check_interval_seconds: 60 },
      KEYS.alice,
    );
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({ status: 'unknown', degraded_threshold: 2, down_threshold: 5 });
    const id = String(created.json.id);

    const healthy = await check(id);
    expect(healthy.json).toMatchObject({ status: 'healthy', problems: [], incident_key: null });
    expect(healthy.json.tls_version).toMatch(/^TLSv1\.[23]$/);

    const rogue = await createCertificateAuthority({ subject: { CN: 'rogue.example.com' } });
    await nginx.replace({ certPem: rogue.certificate.pem, keyPem: exportPrivateKeyPem(rogue.keys.privateKey) });
    let mismatch = await check(id);
    // nginx's reload takes a moment to reach new connections.
    while (mismatch.json.status === 'healthy') mismatch = await check(id);
    expect(mismatch.json.status).toBe('cert_mismatch');
    expect((mismatch.json.problems as string[])[0]).toMatch(
      new RegExp(`^serves serial ${rogue.certificate.serialNumber} .*not the deployed serial`),
    );
    const incident = String(mismatch.json.incident_key);
    await server.scheduler.runLoop('notifications');
    expect(deliveries()).toEqual([
      expect.objectContaining({ action: 'notify', event: 'endpoint_unhealthy', dedup_key: incident }),
    ]);
    const acknowledged = await call(
      server.api,
      'POST',
      `/api/v1/health-checks/${id}/acknowledge`,
      undefined,
      KEYS.alice,
    );
    expect(acknowledged.json).toMatchObject({ acknowledged: true, acknowledged_by: 'alice' });

    await nginx.replace(deployed);
    let recovered = await check(id);
    while (recovered.json.status === 'cert_mismatch') recovered = await check(id);
    expect(recovered.json).toMatchObject({ status: 'healthy', incident_key: null, acknowledged: false });
    await server.scheduler.runLoop('notifications');
    expect(deliveries().at(-1)).toMatchObject({ action: 'resolve', dedup_key: incident });
    expect(deliveries()).toHaveLength(2);

    const history = await call(server.api, 'GET', `/api/v1/health-checks/${id}/history`);
    const statuses = (history.json.data ?? []).map((h) => h.status);
    expect(statuses[0]).toBe('healthy');
    expect(statuses).toContain('cert_mismatch');
    expect(statuses.at(-1)).toBe('healthy');
    const metrics = (await call(server.api, 'GET', '/metrics')).body;
    expect(metrics).toContain('certctl_health_check_transitions_total{to="cert_mismatch"} 1');
  });

  it('counts failures: degraded opens a warning, down escalates the same incident, recovery resolves it once', async () => {
    const closedPort = await freePort();
    const created = await call(server.api, 'POST', '/api/v1/health-checks', {
      name: 'gone',
      endpoint: `${address}:${closedPort}`,
      certificate_id: certificateId,
      degraded_threshold: 2,
      down_threshold: 3,
    });
    const id = String(created.json.id);
    const before = receiver.requests.length;
    const sent = () => deliveries().slice(before);
    expect((await check(id)).json).toMatchObject({ status: 'unknown', consecutive_failures: 1 });
    const degraded = await check(id);
    expect(degraded.json).toMatchObject({ status: 'degraded', consecutive_failures: 2 });
    const incident = String(degraded.json.incident_key);
    await server.scheduler.runLoop('notifications');
    expect(sent()).toEqual([expect.objectContaining({ action: 'notify', severity: 'warning', dedup_key: incident })]);

    const down = await check(id);
    expect(down.json).toMatchObject({ status: 'down', consecutive_failures: 3, incident_key: incident });
    expect((down.json.problems as string[])[0]).toMatch(/cannot connect \(ECONNREFUSED\)/);
    // Still down, and down once more: no third alert.
    expect((await check(id)).json).toMatchObject({ status: 'down', consecutive_failures: 4 });
    await server.scheduler.runLoop('notifications');
    expect(sent()).toEqual([
      expect.objectContaining({ action: 'notify', severity: 'warning', dedup_key: incident }),
      expect.objectContaining({ action: 'notify', severity: 'critical', dedup_key: incident }),
    ]);
    const summary = await call(server.api, 'GET', '/api/v1/health-checks/summary');
    expect(summary.json).toMatchObject({ healthy: 1, down: 1, total: 2 });
    expect((await call(server.api, 'GET', `/api/v1/health-checks/${id}/history`)).json.total).toBe(4);
    expect((await call(server.api, 'GET', '/api/v1/health-checks?status=down')).json.total).toBe(1);

    // The endpoint comes back serving the deployed certificate: one resolve for the incident.
    const back = await startNginxTls({ address, port: closedPort, ...deployed });
    try {
      expect((await check(id)).json).toMatchObject({ status: 'healthy', incident_key: null });
      expect((await check(id)).json).toMatchObject({ status: 'healthy' });
      await server.scheduler.runLoop('notifications');
      expect(sent().slice(2)).toEqual([expect.objectContaining({ action: 'resolve', dedup_key: incident })]);
    } finally {
      await back.stop();
    }
  });

  it('refuses bad input and changes nothing', async () => {
    for (const body of [
      { name: 'x', endpoint: 'no-port' },
      { name: 'x', endpoint: 'a:1', degraded_threshold: 5, down_threshold: 2 },
      { name: 'x', endpoint: 'a:1', expected_fingerprint: 'abc' },
      { name: 'x', endpoint: 'a:1', surprise: true },
    ]) {
      expect((await call(server.api, 'POST', '/api/v1/health-checks', body)).status).toBe(400);
    }
    expect(
      (
        await call(server.api, 'POST', '/api/v1/health-checks', {
          name: 'x',
          endpoint: 'a:1',
          certificate_id: 'mc-nope',
        })
      ).status,
    ).toBe(404);
    expect(
      (await call(server.api, 'POST', '/api/v1/health-checks', { name: 'x', endpoint: 'a:1' }, KEYS.viewer)).status,
    ).toBe(403);
    expect((await call(server.api, 'GET', '/api/v1/health-checks')).json.total).toBe(2);
  });

  it('is created once for a deployment the agent verified at its endpoint', async () => {
    const agent = await call(server.api, 'POST', '/api/v1/agents', { name: `web-${ctx.dialect}` }, BOOTSTRAP);
    expect(agent.status, agent.body).toBe(201);
    const [agentId, agentKey] = [String(agent.json.id), String(agent.json.api_key)];
    const target = await call(server.api, 'POST', '/api/v1/targets', {
      name: `site-${ctx.dialect}`,
      type: 'nginx',
      agent_id: agentId,
      config: {},
    });
    expect(target.status, target.body).toBe(201);
    const body = certificateBody(basics, { target_ids: [target.json.id] });
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(certificate.status, certificate.body).toBe(201);
    await server.runner.runOnce();
    const work = await call(server.api, 'GET', `/api/v1/agents/${agentId}/work`, undefined, agentKey);
    const job = (work.json.jobs as { job_id: string; type: string }[]).find((j) => j.type === 'deployment');
    expect(job).toBeDefined();
    const endpoint = `${address}:${await freePort()}`;
    const reported = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agentId}/jobs/${job?.job_id}/status`,
      {
        status: 'succeeded',
        verification: {
          endpoint,
          expected_fingerprint: 'ab'.repeat(32),
          actual_fingerprint: 'ab'.repeat(32),
          verified: true,
          detail: 'served',
          verified_at: new Date().toISOString(),
        },
      },
      agentKey,
    );
    expect(reported.status, reported.body).toBe(200);
    await server.scheduler.runLoop('healthChecks');
    await server.scheduler.runLoop('healthChecks');
    const adopted = await call(server.api, 'GET', `/api/v1/health-checks?certificate_id=${certificate.json.id}`);
    expect(adopted.json.total).toBe(1);
    expect(adopted.json.data?.[0]).toMatchObject({
      endpoint,
      source: 'deployment',
      certificate_id: certificate.json.id,
    });
    expect(adopted.json.data?.[0]?.last_checked_at).not.toBeNull();
  });
});
