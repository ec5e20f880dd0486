import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakePagerDuty, type FakeSlack, startFakePagerDuty, startFakeSlack } from '@certctl/connector-testkit';
import type { AnyConnectorManifest, ConnectorNetwork } from '@certctl/core';
import emailNotifier from '@certctl/notifier-email';
import pagerdutyNotifier from '@certctl/notifier-pagerduty';
import slackNotifier from '@certctl/notifier-slack';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { type SmtpSink, startSmtpSink } from '../../testing/notification-receivers.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const DAY = 86_400_000;

/*
 * The "done when" scenario of alert routing, with the real notifier packages: Slack and PagerDuty
 * against the connector-testkit's vendor fakes (HTTPS on loopback, reached through the server's
 * connector-fetch test hook), email through a real SMTP server. Instances are seeded from the
 * packages' own CERTCTL_* variables.
 */
const NOTIFIERS: AnyConnectorManifest[] = [slackNotifier, emailNotifier, pagerdutyNotifier];

function notifierEnv(fakes: { slack: FakeSlack; pagerDuty: FakePagerDuty; smtp: SmtpSink }): Record<string, string> {
  return {
    CERTCTL_SLACK_WEBHOOK_URL: fakes.slack.webhookUrl,
    CERTCTL_SMTP_HOST: '127.0.0.1',
    CERTCTL_SMTP_PORT: String(fakes.smtp.port),
    CERTCTL_SMTP_FROM_ADDRESS: 'certctl@example.com',
    CERTCTL_SMTP_USE_TLS: 'false',
    CERTCTL_PAGERDUTY_ROUTING_KEY: fakes.pagerDuty.routingKey,
    CERTCTL_PAGERDUTY_EVENTS_URL: `${fakes.pagerDuty.url}/v2/enqueue`,
    CERTCTL_NOTIFY_DASHBOARD_URL: 'https://dashboard.example.test/',
  };
}

describeEachDialect('alert routing from threshold to Slack, email and PagerDuty', (ctx) => {
  const ca = createTestCa();
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-alerts-'));
  let slack: FakeSlack;
  let pagerDuty: FakePagerDuty;
  let network: ConnectorNetwork;
  let smtp: SmtpSink;
  let server: TestServer | undefined;
  let clock = new Date();

  beforeAll(async () => {
    [slack, pagerDuty, smtp] = await Promise.all([startFakeSlack(), startFakePagerDuty(), startSmtpSink()]);
    network = { allowLoopback: true, ca: [slack.caPem, pagerDuty.caPem].filter((pem) => pem !== undefined) };
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([slack?.close(), pagerDuty?.close(), smtp?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    await server?.stop();
    server = await startTestServer({
      database: ctx,
      dataDir,
      connectors: [ca.manifest, ...NOTIFIERS],
      env: notifierEnv({ slack, pagerDuty, smtp }),
      connectorNetwork: network,
      now: () => clock,
    });
    return server;
  };
  const tick = async (s: TestServer) => {
    await s.scheduler.runLoop('expiryAlerts');
    await s.scheduler.runLoop('notifications');
  };
  const expiryMessages = () => slack.messages.filter((m) => m.text?.includes('expires in'));
  const mailsAbout = (text: string) => smtp.messages.filter((m) => m.subject.includes(text));
  const triggers = (key: string) => pagerDuty.events.filter((e) => e.event_action === 'trigger' && e.dedup_key === key);

  it('sends one Slack message and one email at 7 days, pages at 0 days, resolves on renewal, and survives restarts without duplicates', async () => {
    let s = await start();
    const notifiers = await call(s.api, 'GET', '/api/v1/notifiers');
    expect(notifiers.json.data?.map((n) => n.id).sort()).toEqual(['ntf-email', 'ntf-pagerduty', 'ntf-slack']);
    expect(notifiers.json.data?.find((n) => n.id === 'ntf-pagerduty')?.config).toMatchObject({
      routing_key: '[redacted]',
    });
    const stored = await s.deps.db
      .selectFrom('notifiers')
      .select('config')
      .where('id', '=', 'ntf-pagerduty')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.config)).not.toContain(pagerDuty.routingKey);

    const basics = await createBasics(s.api, {
      auto_renew: false,
      renewal_window_days: 1,
      alert_channels: { informational: ['Slack'], warning: ['Slack', 'Email'], critical: ['PagerDuty', 'Email'] },
    });
    const profile = await call(s.api, 'POST', '/api/v1/profiles', {
      name: `short-${ctx.dialect}`,
      max_ttl_seconds: 10 * 86_400,
    });
    expect(profile.status, profile.body).toBe(201);
    const body = certificateBody(basics, { profile_id: profile.json.id });
    const created = await call(s.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(created.status, created.body).toBe(201);
    const certId = String(created.json.id);
    await s.runner.runOnce();
    const cert = await call(s.api, 'GET', `/api/v1/certificates/${certId}`);
    expect(cert.json.status).toBe('active');
    const notAfter = new Date(String(cert.json.expires_at));

    // Issued is informational: one Slack message. A 10-day certificate has crossed the 14-day
    // threshold at once (warning → Slack + Email); only the most urgent crossed threshold alerts.
    await tick(s);
    expect(slack.messages.filter((m) => m.text?.includes('issued'))).toHaveLength(1);
    expect(expiryMessages()).toHaveLength(1);
    expect(mailsAbout('expires in')).toHaveLength(1);

    // 6.5 days left: the 7-day threshold (warning → Slack + Email to the owner).
    clock = new Date(notAfter.getTime() - 6.5 * DAY);
    await tick(s);
    expect(expiryMessages()).toHaveLength(2);
    expect(expiryMessages()[1]!.text).toContain('expires in 6 day(s)');
    const warnings = mailsAbout('expires in 6 day(s)');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.to).toEqual(['ops@example.com']);
    // The email notifier's own layout: the text, the certificate facts, plain text plus HTML.
    expect(warnings[0]!.text).toMatch(/Days left:\s+6/);
    expect(warnings[0]!.html).toContain('expires in 6 day(s)');
    expect(expiryMessages()[1]!.blocks?.length).toBeGreaterThan(0);
    // Links to the certificate are the notifiers' (notificationLink), under CERTCTL_NOTIFY_DASHBOARD_URL.
    const link = `https://dashboard.example.test/certificates/${certId}`;
    expect(JSON.stringify(expiryMessages()[1]!.blocks)).toContain(link);
    expect(warnings[0]!.text).toContain(`Open in certctl: ${link}`);
    expect(pagerDuty.alerts.size).toBe(0);

    // Again, and after a restart: nothing new.
    await tick(s);
    s = await start();
    await tick(s);
    clock = new Date(clock.getTime() + 3_600_000);
    await tick(s);
    expect(expiryMessages()).toHaveLength(2);
    expect(mailsAbout('expires in 6 day(s)')).toHaveLength(1);

    // 12 hours left: the 0-day threshold is critical → a PagerDuty incident and an email.
    clock = new Date(notAfter.getTime() - 0.5 * DAY);
    await tick(s);
    expect(pagerDuty.alerts.size).toBe(1);
    const [incidentKey, state] = [...pagerDuty.alerts.entries()][0]!;
    expect(state).toBe('triggered');
    expect(triggers(incidentKey)).toHaveLength(1);
    expect(triggers(incidentKey)[0]!.payload).toMatchObject({
      severity: 'critical',
      summary: expect.stringContaining('expires within 24 hours'),
    });
    expect(triggers(incidentKey)[0]!.links).toContainEqual(expect.objectContaining({ href: link }));
    expect(mailsAbout('expires within 24 hours')).toHaveLength(1);
    expect(expiryMessages()).toHaveLength(2);

    s = await start();
    await tick(s);
    expect(triggers(incidentKey)).toHaveLength(1);

    // Renewal (to a 90-day certificate) resolves the incident through the outbox.
    expect((await call(s.api, 'PUT', `/api/v1/profiles/${profile.json.id}`, { max_ttl_seconds: 0 })).status).toBe(200);
    const renewed = await call(s.api, 'POST', `/api/v1/certificates/${certId}/renew`, {});
    expect(renewed.status, renewed.body).toBeLessThan(300);
    await s.runner.runOnce();
    await tick(s);
    expect(pagerDuty.alerts.get(incidentKey)).toBe('resolved');
    expect(slack.messages.filter((m) => m.text?.includes('renewed'))).toHaveLength(1);

    s = await start();
    await tick(s);
    expect(pagerDuty.alerts.size).toBe(1);
    expect(pagerDuty.events.filter((e) => e.event_action === 'resolve')).toHaveLength(1);
    expect(expiryMessages()).toHaveLength(2);
    expect(mailsAbout('expires in')).toHaveLength(2);

    const outbox = await call(s.api, 'GET', `/api/v1/notifications?certificate_id=${certId}&per_page=100`);
    expect(outbox.json.data?.every((n) => n.status === 'sent')).toBe(true);
    expect(
      outbox.json.data
        ?.filter((n) => n.threshold_days === 7)
        .map((n) => n.channel)
        .sort(),
    ).toEqual(['email', 'slack']);
    expect(
      outbox.json.data
        ?.filter((n) => n.threshold_days === 0)
        .map((n) => n.channel)
        .sort(),
    ).toEqual(['email', 'pagerduty']);
    expect(outbox.json.data?.find((n) => n.action === 'resolve')).toMatchObject({
      channel: 'pagerduty',
      status: 'sent',
    });
  });
});
