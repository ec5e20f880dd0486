import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeVendorNetwork, type FakeSlack, startFakeSlack } from '@certctl/connector-testkit';
import slackNotifier from '@certctl/notifier-slack';
import webhookNotifier from '@certctl/notifier-webhook';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { type FailingEndpoint, startFailingEndpoint } from '../../testing/notification-receivers.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const MINUTE = 60_000;

describeEachDialect('the notification outbox', (ctx) => {
  const ca = createTestCa();
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-outbox-'));
  let slack: FakeSlack;
  let failing: FailingEndpoint;
  let server: TestServer | undefined;
  let clock = new Date();
  const env = () => ({
    CERTCTL_SLACK_WEBHOOK_URL: slack.webhookUrl,
    CERTCTL_NOTIFICATION_MAX_ATTEMPTS: '3',
    CERTCTL_NOTIFICATION_RETRY_INTERVAL: '1m',
  });
  const start = async () => {
    await server?.stop();
    server = await startTestServer({
      database: ctx,
      dataDir,
      connectors: [ca.manifest, slackNotifier, webhookNotifier],
      env: env(),
      connectorNetwork: fakeVendorNetwork(slack),
      now: () => clock,
    });
    return server;
  };
  const tick = async (s: TestServer) => {
    await s.scheduler.runLoop('expiryAlerts');
    await s.scheduler.runLoop('notifications');
  };

  beforeAll(async () => {
    [slack, failing] = await Promise.all([startFakeSlack(), startFailingEndpoint()]);
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([slack?.close(), failing?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('rejects off-list tiers, channels and severities when a policy is written, and canonicalises channel names', async () => {
    const s = await start();
    // Migrations may seed policies of their own (EST's `rp-est`): count what the refusals add.
    const before = Number((await call(s.api, 'GET', '/api/v1/renewal-policies')).json.total);
    const bad = [
      { alert_channels: { urgent: ['Email'] } },
      { alert_channels: { warning: ['Carrier pigeon'] } },
      { alert_severity_map: { '7': 'panic' } },
      { alert_severity_map: { soon: 'warning' } },
    ];
    for (const [i, body] of bad.entries()) {
      const response = await call(s.api, 'POST', '/api/v1/renewal-policies', {
        name: `bad-${i}-${ctx.dialect}`,
        ...body,
      });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json.message).toMatch(/alert_(channels|severity_map)/);
    }
    expect(Number((await call(s.api, 'GET', '/api/v1/renewal-policies')).json.total)).toBe(before);
    const good = await call(s.api, 'POST', '/api/v1/renewal-policies', {
      name: `good-${ctx.dialect}`,
      alert_thresholds_days: [7, 30, 0],
      alert_channels: { critical: ['pagerduty', 'EMAIL', 'slack'] },
      alert_severity_map: { '30': 'warning' },
    });
    expect(good.status, good.body).toBe(201);
    expect(good.json).toMatchObject({
      alert_thresholds_days: [30, 7, 0],
      alert_channels: { critical: ['PagerDuty', 'Email', 'Slack'] },
      alert_severity_map: { '30': 'warning' },
    });
    const updated = await call(s.api, 'PUT', `/api/v1/renewal-policies/${good.json.id}`, {
      alert_channels: { warning: ['Fax'] },
    });
    expect(updated.status).toBe(400);
    await call(s.api, 'DELETE', `/api/v1/renewal-policies/${good.json.id}`);
  });

  it('configures notifier instances like issuers: schema-validated, secrets encrypted and redacted', async () => {
    const s = await start();
    expect(
      (await call(s.api, 'POST', '/api/v1/notifiers', { name: 'nope', type: 'carrier-pigeon', config: {} })).status,
    ).toBe(400);
    const invalid = await call(s.api, 'POST', '/api/v1/notifiers', {
      name: 'hook',
      type: 'webhook',
      config: { url: 'not a url' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error).toBe('invalid_config');
    const created = await call(s.api, 'POST', '/api/v1/notifiers', {
      id: 'ntf-hook',
      name: 'hook',
      type: 'webhook',
      config: { url: `${failing.url}/hook`, secret: 'hmac-secret-value-1234', allow_loopback: true },
    });
    expect(created.status, created.body).toBe(201);
    expect(created.json.config).toEqual({ url: `${failing.url}/hook`, secret: '[redacted]', allow_loopback: true });
    const row = await s.deps.db
      .selectFrom('notifiers')
      .select('config')
      .where('id', '=', 'ntf-hook')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row.config)).not.toContain('hmac-secret-value-1234');
    // Sending the redacted value back keeps the stored secret.
    const renamed = await call(s.api, 'PUT', '/api/v1/notifiers/ntf-hook', {
      name: 'hook 2',
      config: { url: `${failing.url}/hook`, secret: '[redacted]', allow_loopback: true },
    });
    expect(renamed.status, renamed.body).toBe(200);
    const runtime = await s.deps.notifiers.get('ntf-hook');
    expect(runtime.instanceId).toBe('ntf-hook');
    const after = await s.deps.db
      .selectFrom('notifiers')
      .select('config')
      .where('id', '=', 'ntf-hook')
      .executeTakeFirstOrThrow();
    expect(after.config.secret).not.toBe('[redacted]');
    expect((await call(s.api, 'GET', '/api/v1/notifiers/ntf-slack')).json).toMatchObject({
      source: 'env',
      config: { webhook_url: '[redacted]' },
    });
    const types = await call(s.api, 'GET', '/api/v1/notifier-types');
    expect((types.json.data as { id: string }[]).map((t) => t.id).sort()).toEqual(['slack', 'webhook']);
  });

  it('retries a notifier that answers 500 with backoff, dead-letters it, keeps the other channel flowing, and requeues it by API', async () => {
    let s = await start();
    const basics = await createBasics(s.api, {
      auto_renew: false,
      renewal_window_days: 1,
      alert_thresholds_days: [14],
      alert_channels: { warning: ['Webhook', 'Slack'] },
    });
    const profile = await call(s.api, 'POST', '/api/v1/profiles', {
      name: `ten-days-${ctx.dialect}`,
      max_ttl_seconds: 10 * 86_400,
    });
    const body = certificateBody(basics, { profile_id: profile.json.id });
    const created = await call(s.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(created.status, created.body).toBe(201);
    await s.runner.runOnce();
    const hookCalls = () => failing.requests.filter((r) => r.path === '/hook').length;

    await tick(s);
    expect(slack.messages.filter((m) => m.text?.includes(String(body.common_name)))).toHaveLength(1);
    expect(hookCalls()).toBe(1);
    const [row] = (await call(s.api, 'GET', `/api/v1/notifications?certificate_id=${created.json.id}&channel=Webhook`))
      .json.data!;
    expect(row).toMatchObject({ status: 'failed', attempts: 1, notifier_id: 'ntf-hook' });
    expect(String(row!.last_error)).toContain('500');
    // Full-jitter backoff from a one-minute base: some time within the next minute.
    const nextAttempt = new Date(String(row!.next_attempt_at)).getTime();
    expect(nextAttempt).toBeGreaterThan(clock.getTime());
    expect(nextAttempt).toBeLessThanOrEqual(clock.getTime() + MINUTE);

    await tick(s); // still backing off
    expect(hookCalls()).toBe(1);
    clock = new Date(clock.getTime() + 2 * MINUTE);
    await tick(s);
    expect(hookCalls()).toBe(2);
    clock = new Date(clock.getTime() + 3 * MINUTE);
    await tick(s);
    expect(hookCalls()).toBe(3);
    const dead = await call(s.api, 'GET', '/api/v1/notifications?status=dead');
    expect(dead.json.data).toHaveLength(1);
    expect(dead.json.data![0]).toMatchObject({ id: row!.id, attempts: 3, channel: 'webhook' });
    expect(String(dead.json.data![0]!.last_error)).toMatch(/gave up after 3 attempt\(s\).*500/);
    const metrics = (await call(s.api, 'GET', '/metrics')).body;
    expect(metrics).toContain('certctl_notifications_total{channel="webhook",event="expiring",result="failed"} 2');
    expect(metrics).toContain(
      'certctl_notifications_total{channel="webhook",event="expiring",result="dead_lettered"} 1',
    );
    expect(metrics).toContain('certctl_notifications_total{channel="slack",event="expiring",result="sent"} 1');
    expect(metrics).toContain('certctl_notification_outbox{status="dead"} 1');

    // A dead letter stays dead across a restart, however much time passes.
    s = await start();
    clock = new Date(clock.getTime() + 120 * MINUTE);
    await tick(s);
    expect(hookCalls()).toBe(3);
    expect(slack.messages.filter((m) => m.text?.includes(String(body.common_name)))).toHaveLength(1);

    expect(
      (await call(s.api, 'POST', `/api/v1/notifications/${row!.id}/requeue`, {}, 'viewer-key-0123456789abcdef')).status,
    ).toBe(403);
    failing.status = 200;
    const requeued = await call(s.api, 'POST', `/api/v1/notifications/${row!.id}/requeue`, {});
    expect(requeued.status, requeued.body).toBe(200);
    expect(requeued.json).toMatchObject({ status: 'pending', attempts: 0 });
    await tick(s);
    expect(hookCalls()).toBe(4);
    expect((await call(s.api, 'GET', `/api/v1/notifications/${row!.id}`)).json).toMatchObject({
      status: 'sent',
      attempts: 1,
      last_error: null,
    });
    expect((await call(s.api, 'POST', `/api/v1/notifications/${row!.id}/requeue`, {})).status).toBe(409);
    failing.status = 500;
  });
});
