import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyConnectorManifest } from '@certctl/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { createTestCa } from './testing/test-issuer.js';
import {
  PAGERDUTY_ROUTING_KEY,
  type PagerDutyFake,
  type SlackFake,
  type SmtpSink,
  startPagerDutyFake,
  startSlackFake,
  startSmtpSink,
  testEmailNotifier,
  testPagerDutyNotifier,
  testSlackNotifier,
} from './testing/test-notifiers.js';
import { startTestServer, type TestServer } from './testing/test-server.js';

const DAY = 86_400_000;

/*
 * The "done when" scenario of alert routing. To run it against the real notifier packages, replace
 * NOTIFIERS with their default exports (@certctl/notifier-slack, -email, -pagerduty) and, if their
 * env mappings differ, the variables in notifierEnv(): the fakes below speak the vendors' wire formats
 * (Slack incoming webhook, PagerDuty Events API v2, SMTP to a real smtp-server), so the assertions stand.
 */
const NOTIFIERS: AnyConnectorManifest[] = [testSlackNotifier, testEmailNotifier, testPagerDutyNotifier];

function notifierEnv(fakes: { slack: SlackFake; pagerDuty: PagerDutyFake; smtp: SmtpSink }): Record<string, string> {
  return {
    CERTCTL_SLACK_WEBHOOK_URL: `${fakes.slack.url}/services/T0000/B0000/test-webhook-token`,
    CERTCTL_SMTP_HOST: '127.0.0.1',
    CERTCTL_SMTP_PORT: String(fakes.smtp.port),
    CERTCTL_SMTP_FROM_ADDRESS: 'certctl@example.com',
    CERTCTL_SMTP_USE_TLS: 'false',
    CERTCTL_PAGERDUTY_ROUTING_KEY: PAGERDUTY_ROUTING_KEY,
    CERTCTL_PAGERDUTY_EVENTS_URL: fakes.pagerDuty.url,
  };
}

describeEachDialect('alert routing from threshold to Slack, email and PagerDuty', (ctx) => {
  const ca = createTestCa();
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-alerts-'));
  let slack: SlackFake;
  let pagerDuty: PagerDutyFake;
  let smtp: SmtpSink;
  let server: TestServer | undefined;
  let clock = new Date();

  beforeAll(async () => {
    [slack, pagerDuty, smtp] = await Promise.all([startSlackFake(), startPagerDutyFake(), startSmtpSink()]);
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([slack?.close(), pagerDuty?.close(), smtp?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    await server?.stop();
    server = await startTestServer({ database: ctx, dataDir, connectors: [ca.manifest, ...NOTIFIERS], env: notifierEnv({ slack, pagerDuty, smtp }), now: () => clock });
    return server;
  };
  const tick = async (s: TestServer) => {
    await s.scheduler.runLoop('expiryAlerts');
    await s.scheduler.runLoop('notifications');
  };
  const expiryMessages = () => slack.messages.filter((m) => m.text.includes('expires in'));
  const mailsAbout = (text: string) => smtp.messages.filter((m) => m.raw.includes(text));

  it('sends one Slack message and one email at 7 days, pages at 0 days, resolves on renewal, and survives restarts without duplicates', async () => {
    let s = await start();
    const notifiers = await call(s.api, 'GET', '/api/v1/notifiers');
    expect(notifiers.json.data?.map((n) => n.id).sort()).toEqual(['ntf-email', 'ntf-pagerduty', 'ntf-slack']);
    expect(notifiers.json.data?.find((n) => n.id === 'ntf-pagerduty')?.config).toMatchObject({ routing_key: '[redacted]' });
    const stored = await s.deps.db.selectFrom('notifiers').select('config').where('id', '=', 'ntf-pagerduty').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.config)).not.toContain(PAGERDUTY_ROUTING_KEY);

    const basics = await createBasics(s.api, { auto_renew: false, renewal_window_days: 1, alert_channels: { informational: ['Slack'], warning: ['Slack', 'Email'], critical: ['PagerDuty', 'Email'] } });
    const profile = await call(s.api, 'POST', '/api/v1/profiles', { name: `short-${ctx.dialect}`, max_ttl_seconds: 10 * 86_400 });
    expect(profile.status, profile.body).toBe(201);
    const body = certificateBody(basics, { profile_id: profile.json.id });
    const created = await call(s.api, 'POST', '/api/v1/certificates', { ...body, csr_pem: await makeCsr(String(body.common_name)) });
    expect(created.status, created.body).toBe(201);
    const certId = String(created.json.id);
    await s.runner.runOnce();
    const cert = await call(s.api, 'GET', `/api/v1/certificates/${certId}`);
    expect(cert.json.status).toBe('active');
    const notAfter = new Date(String(cert.json.expires_at));

    // Issued is informational: one Slack message. A 10-day certificate has crossed the 14-day
    // threshold at once (warning → Slack + Email); only the most urgent crossed threshold alerts.
    await tick(s);
    expect(slack.messages.filter((m) => m.text.includes('issued'))).toHaveLength(1);
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
    expect(pagerDuty.incidents.size).toBe(0);

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
    expect(pagerDuty.incidents.size).toBe(1);
    const [incidentKey, incident] = [...pagerDuty.incidents.entries()][0]!;
    expect(incident).toMatchObject({ status: 'triggered', severity: 'critical', triggers: 1 });
    expect(mailsAbout('expires within 24 hours')).toHaveLength(1);
    expect(expiryMessages()).toHaveLength(2);

    s = await start();
    await tick(s);
    expect(pagerDuty.incidents.get(incidentKey)?.triggers).toBe(1);

    // Renewal (to a 90-day certificate) resolves the incident through the outbox.
    expect((await call(s.api, 'PUT', `/api/v1/profiles/${profile.json.id}`, { max_ttl_seconds: 0 })).status).toBe(200);
    const renewed = await call(s.api, 'POST', `/api/v1/certificates/${certId}/renew`, {});
    expect(renewed.status, renewed.body).toBeLessThan(300);
    await s.runner.runOnce();
    await tick(s);
    expect(pagerDuty.incidents.get(incidentKey)?.status).toBe('resolved');
    expect(slack.messages.filter((m) => m.text.includes('renewed'))).toHaveLength(1);

    s = await start();
    await tick(s);
    expect(pagerDuty.incidents.size).toBe(1);
    expect(pagerDuty.requests.filter((r) => r.body.includes('"resolve"'))).toHaveLength(1);
    expect(expiryMessages()).toHaveLength(2);
    expect(mailsAbout('expires in')).toHaveLength(2);

    const outbox = await call(s.api, 'GET', `/api/v1/notifications?certificate_id=${certId}&per_page=100`);
    expect(outbox.json.data?.every((n) => n.status === 'sent')).toBe(true);
    expect(outbox.json.data?.filter((n) => n.threshold_days === 7).map((n) => n.channel).sort()).toEqual(['email', 'slack']);
    expect(outbox.json.data?.filter((n) => n.threshold_days === 0).map((n) => n.channel).sort()).toEqual(['email', 'pagerduty']);
    expect(outbox.json.data?.find((n) => n.action === 'resolve')).toMatchObject({ channel: 'pagerduty', status: 'sent' });
  });
});
