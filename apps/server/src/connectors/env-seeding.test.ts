import { afterAll, expect, it } from 'vitest';
import { ConfigError } from '../config/index.js';
import { call } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describeEachDialect('issuers seeded from CERTCTL_<VENDOR>_* variables', (ctx) => {
  const ca = createTestCa();
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it("creates iss-<connector> from the manifest's env mapping, secrets encrypted, and follows the environment on restart", async () => {
    const first = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      env: { CERTCTL_TESTCA_LABEL: 'from-env', CERTCTL_TESTCA_API_TOKEN: 'env-secret-token-123' },
    });
    servers.push(first);
    const issuer = await call(first.api, 'GET', '/api/v1/issuers/iss-test-ca');
    expect(issuer.json).toMatchObject({
      source: 'env',
      type: 'test-ca',
      config: { label: 'from-env', api_token: '[redacted]' },
    });
    const row = await first.deps.db
      .selectFrom('issuers')
      .select('config')
      .where('id', '=', 'iss-test-ca')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row.config)).not.toContain('env-secret-token-123');
    await first.stop();
    servers.pop();
    const second = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      env: { CERTCTL_TESTCA_LABEL: 'changed' },
    });
    servers.push(second);
    expect((await call(second.api, 'GET', '/api/v1/issuers/iss-test-ca')).json.config).toEqual({ label: 'changed' });
  });

  it('seeds one instance of each installed notifier package from its reference variables, secrets redacted', async () => {
    const env = {
      CERTCTL_SMTP_HOST: 'smtp.example.com',
      CERTCTL_SMTP_FROM_ADDRESS: 'certctl@example.com',
      CERTCTL_SMTP_USERNAME: 'certctl',
      CERTCTL_SMTP_PASSWORD: 'smtp-password-value',
      CERTCTL_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0000/B0000/slack-token-value',
      CERTCTL_SLACK_CHANNEL: '#pki',
      CERTCTL_TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/teams-token-value',
      CERTCTL_WEBHOOK_URL: 'https://hooks.example.com/certctl',
      CERTCTL_WEBHOOK_SECRET: 'webhook-secret-value-123',
      CERTCTL_PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0123456789abcdefABCDEF',
      CERTCTL_PAGERDUTY_SEVERITY: 'warning',
      CERTCTL_OPSGENIE_API_KEY: 'opsgenie-key-value',
      CERTCTL_OPSGENIE_PRIORITY: 'P3',
    };
    const s = await startTestServer({ database: ctx, installed: true, env });
    servers.push(s);
    const types = await call(s.api, 'GET', '/api/v1/notifier-types');
    expect((types.json.data as { id: string }[]).map((t) => t.id).sort()).toEqual([
      'email',
      'opsgenie',
      'pagerduty',
      'slack',
      'teams',
      'webhook',
    ]);
    const notifiers = (await call(s.api, 'GET', '/api/v1/notifiers')).json.data!;
    expect(notifiers.map((n) => n.id).sort()).toEqual([
      'ntf-email',
      'ntf-opsgenie',
      'ntf-pagerduty',
      'ntf-slack',
      'ntf-teams',
      'ntf-webhook',
    ]);
    const byId = Object.fromEntries(notifiers.map((n) => [n.id, n]));
    expect(byId['ntf-slack']).toMatchObject({
      source: 'env',
      type: 'slack',
      config: { webhook_url: '[redacted]', channel: '#pki' },
    });
    expect(byId['ntf-email']).toMatchObject({ config: { smtp_host: 'smtp.example.com', password: '[redacted]' } });
    expect(byId['ntf-pagerduty']).toMatchObject({ config: { routing_key: '[redacted]', severity: 'warning' } });
    expect(byId['ntf-opsgenie']).toMatchObject({ config: { api_key: '[redacted]', priority: 'P3' } });
    const rows = await s.deps.db.selectFrom('notifiers').select('config').execute();
    for (const value of [
      'smtp-password-value',
      'slack-token-value',
      'teams-token-value',
      'webhook-secret-value-123',
      'R0UT1NGKEY0123456789abcdefABCDEF',
      'opsgenie-key-value',
    ]) {
      expect(JSON.stringify(rows)).not.toContain(value);
    }
    await s.stop();
    servers.pop();
    // A stand-in's old name (the Slack package reads CERTCTL_SLACK_WEBHOOK_URL, not _WEBHOOK) stops start-up.
    await expect(
      startTestServer({
        database: ctx,
        installed: true,
        env: { CERTCTL_SLACK_WEBHOOK: 'https://hooks.slack.com/services/T/B/x' },
      }),
    ).rejects.toThrow(/CERTCTL_SLACK_WEBHOOK(?!_)/);
  });

  it('stops start-up on a variable no installed connector reads', async () => {
    await expect(
      startTestServer({ database: ctx, connectors: [ca.manifest], env: { CERTCTL_TESTCA_LABLE: 'typo' } }),
    ).rejects.toThrow(ConfigError);
  });
});
