import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import emailNotifier from '@certctl/notifier-email';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { type SmtpSink, startSmtpSink } from '../../testing/notification-receivers.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('the digest', (ctx) => {
  const ca = createTestCa();
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-digest-'));
  let smtp: SmtpSink;
  let server: TestServer | undefined;
  const start = async () => {
    await server?.stop();
    server = await startTestServer({
      database: ctx,
      dataDir,
      connectors: [ca.manifest, emailNotifier],
      env: {
        CERTCTL_SMTP_HOST: '127.0.0.1',
        CERTCTL_SMTP_PORT: String(smtp.port),
        CERTCTL_SMTP_FROM_ADDRESS: 'certctl@example.com',
        CERTCTL_SMTP_USE_TLS: 'false',
        CERTCTL_DIGEST_ENABLED: 'true',
        CERTCTL_DIGEST_INTERVAL: '24h',
      },
    });
    return server;
  };
  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('previews a self-contained HTML page listing expiring certificates, failures and offline agents, with inventory text escaped', async () => {
    const s = await start();
    const basics = await createBasics(s.api, {
      auto_renew: false,
      renewal_window_days: 1,
      alert_channels: { critical: ['Email'] },
    });
    const profile = await call(s.api, 'POST', '/api/v1/profiles', {
      name: `ten-${ctx.dialect}`,
      max_ttl_seconds: 10 * 86_400,
    });
    const body = certificateBody(basics, {
      profile_id: profile.json.id,
      name: `edge<script>alert(1)</script>-${ctx.dialect}`,
    });
    const created = await call(s.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(created.status, created.body).toBe(201);
    await s.runner.runOnce();
    await s.deps.db
      .insertInto('agents')
      .values({
        id: `agent-digest-${ctx.dialect}`,
        name: 'edge-proxy-1',
        hostname: 'proxy1.internal',
        status: 'offline',
        lastHeartbeatAt: new Date(Date.now() - 3_600_000),
      })
      .execute();
    await s.deps.db
      .insertInto('jobs')
      .values({
        id: `job-digest-${ctx.dialect}`,
        type: 'renewal',
        certificateId: String(created.json.id),
        status: 'failed',
        lastError: 'CA said no & meant it',
        requestedBy: 'system',
        createdAt: new Date(),
      })
      .execute();

    const preview = await s.api.inject({
      method: 'GET',
      url: '/api/v1/digest/preview',
      headers: { authorization: 'Bearer viewer-key-0123456789abcdef' },
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toMatch(/^text\/html/);
    const html = preview.body;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('edge&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|@import/i);
    expect(html).toContain('edge-proxy-1');
    expect(html).toContain('CA said no &amp; meant it');
    expect(html).toMatch(/id="stat-expiring"[\s\S]*?>1</);
    expect(html).toMatch(/id="stat-agents"[\s\S]*?>1</);
  });

  it('sends now to the owners through the email notifier, and the scheduled digest once per interval across restarts', async () => {
    let s = await start();
    const before = smtp.messages.length;
    const sent = await call(s.api, 'POST', '/api/v1/digest/send', undefined, 'alice-key-0123456789abcdef');
    expect(sent.status, sent.body).toBe(200);
    expect(sent.json).toMatchObject({ queued: 1, sent: 1, dead: 0, recipients: ['ops@example.com'] });
    const mails = smtp.messages.slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['ops@example.com']);
    expect(mails[0]!.raw).toMatch(/Content-Type: text\/html/i);
    expect(mails[0]!.html).toMatch(/^<!DOCTYPE html>[\s\S]*id="stat-expiring"/);
    expect(mails[0]!.subject).toMatch(/^\[certctl\] digest: 1 expiring/);

    await s.scheduler.runLoop('digest');
    await s.scheduler.runLoop('digest');
    expect(smtp.messages.length - before).toBe(2);
    s = await start();
    await s.scheduler.runLoop('digest');
    expect(smtp.messages.length - before).toBe(2);
    const digests = await call(s.api, 'GET', '/api/v1/notifications?event=digest');
    expect(digests.json.total).toBe(2);
  });
});
