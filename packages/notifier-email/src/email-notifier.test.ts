import { createTestCa, createTestContext, type TestContext, testNotification } from '@certctl/connector-testkit';
import {
  AuthenticationError,
  ConnectorError,
  configFromEnv,
  DeadlineExceededError,
  parseConfig,
  VendorApiError,
} from '@certctl/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpTlsError } from './email-error.js';
import { emailHtml, escapeHtml } from './email-message.js';
import manifest from './index.js';
import { type SmtpTestServer, startSmtpTestServer } from './test-support/smtp-test-server.js';

const user = 'mailer';
const password = 'correct horse battery staple';
let starttls: SmtpTestServer;
let loginOnly: SmtpTestServer;
let implicit: SmtpTestServer;
let plain: SmtpTestServer;
let ctx: TestContext;

beforeAll(async () => {
  const ca = await createTestCa({ commonName: 'certctl test SMTP CA' });
  [starttls, loginOnly, implicit, plain] = await Promise.all([
    startSmtpTestServer({ tls: 'starttls', user, password, ca, rejectRecipients: ['nobody@example.test'] }),
    startSmtpTestServer({ tls: 'starttls', user, password, ca, authMethods: ['LOGIN'] }),
    startSmtpTestServer({ tls: 'implicit', user, password, ca }),
    startSmtpTestServer({ tls: 'plain', user, password }),
  ]);
  ctx = await createTestContext({ environment: { publicBaseUrl: 'https://certctl.example.test' } });
}, 180_000);
afterAll(async () => {
  await ctx.cleanup();
  await Promise.all([starttls, loginOnly, implicit, plain].map((s) => s?.close()));
});

async function notifier(server: SmtpTestServer, overrides: Record<string, unknown> = {}) {
  const config = parseConfig(manifest.configSchema, {
    smtp_host: server.host,
    smtp_port: server.port,
    username: user,
    password,
    from_address: 'certctl@example.test',
    to_addresses: ['pki@example.test'],
    ca_pem: server.caPem,
    timeout_seconds: 10,
    ...overrides,
  });
  return (await manifest.create(config, ctx)) as Awaited<ReturnType<typeof manifest.create>> & {
    testConnection(): Promise<{ ok: true; detail: string }>;
    stop(): Promise<void>;
  };
}

describe('notifier-email', () => {
  it('delivers over STARTTLS with PLAIN auth: headers, text and HTML alternatives', async () => {
    const n = await notifier(starttls);
    const notification = testNotification({
      severity: 'critical',
      recipients: ['alice@example.test', 'bob@example.test'],
    });
    const result = await n.send(notification);
    expect(result.detail).toContain('2 recipient(s)');
    const mail = starttls.mails.at(-1)!;
    expect(mail.secure).toBe(true);
    expect(mail.authMethod).toBe('PLAIN');
    expect(mail.user).toBe(user);
    expect(mail.envelope).toEqual({ from: 'certctl@example.test', to: ['alice@example.test', 'bob@example.test'] });
    expect(mail.parsed.from?.value).toEqual([{ address: 'certctl@example.test', name: 'certctl' }]);
    expect(mail.parsed.subject).toBe(notification.subject);
    expect(mail.parsed.headers.get('x-certctl-dedup-key')).toBe(notification.dedupKey);
    expect(mail.parsed.headers.get('x-certctl-severity')).toBe('critical');
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail.parsed.text).toContain('Days left:');
    expect(mail.parsed.text).toContain('Open in certctl: https://certctl.example.test/certificates/cert-conformance');
    expect(mail.parsed.html).toContain('<a href="https://certctl.example.test/certificates/cert-conformance">');
    expect(mail.parsed.html).toContain('conformance.example.test');
    expect(result.providerId).toBe(mail.parsed.messageId);
    await n.stop();
  });

  it('uses LOGIN when that is what the server offers, and sends the given HTML as is', async () => {
    const n = await notifier(loginOnly);
    await n.send(testNotification({ html: '<p>custom <b>html</b></p>' }));
    const mail = loginOnly.mails.at(-1)!;
    expect(mail.authMethod).toBe('LOGIN');
    expect(mail.envelope.to).toEqual(['pki@example.test']);
    expect(mail.parsed.html).toContain('<p>custom <b>html</b></p>');
    await n.stop();
  });

  it('delivers over implicit TLS', async () => {
    const n = await notifier(implicit, { implicit_tls: true });
    await n.send(testNotification());
    expect(implicit.mails.at(-1)!.secure).toBe(true);
    await n.stop();
  });

  it('reports a wrong password as an AuthenticationError without the password, and sends nothing', async () => {
    const before = starttls.mails.length;
    const n = await notifier(starttls, { password: 'wrong-password-42' });
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/refused the login/);
    expect((error as Error).message).not.toContain('wrong-password-42');
    expect(starttls.mails.length).toBe(before);
    expect(AuthenticationError.isInstance(await n.testConnection().catch((e: unknown) => e))).toBe(true);
    await n.stop();
  });

  it('reports an untrusted server certificate as an SmtpTlsError', async () => {
    const n = await notifier(starttls, { ca_pem: undefined });
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(SmtpTlsError.isInstance(error)).toBe(true);
    expect(ConnectorError.isInstance(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/TLS failed/);
    await n.stop();
  });

  it('refuses to send without TLS when use_tls is set and the server offers no STARTTLS', async () => {
    const n = await notifier(plain);
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(SmtpTlsError.isInstance(error)).toBe(true);
    expect(plain.mails).toHaveLength(0);
    const insecure = await notifier(plain, { use_tls: false });
    await insecure.send(testNotification());
    expect(plain.mails.at(-1)!.secure).toBe(false);
    await n.stop();
    await insecure.stop();
  });

  it('reports a 4xx reply as retryable and a refused recipient as permanent', async () => {
    const n = await notifier(starttls);
    starttls.failNextData(451);
    const transient = await n.send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(transient) && transient.retryable).toBe(true);
    expect((transient as Error).message).toMatch(/SMTP 451/);
    const refused = await n.send(testNotification({ recipients: ['nobody@example.test'] })).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(refused) && !refused.retryable).toBe(true);
    expect((refused as Error).message).toMatch(/550/);
    await n.stop();
  });

  it('gives up with a DeadlineExceededError when the caller aborts', async () => {
    const n = await notifier(starttls);
    const error = await n
      .send({ ...testNotification(), signal: AbortSignal.abort(new Error('shutting down')) })
      .catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    await n.stop();
  });

  it('fails without recipients rather than sending to nobody', async () => {
    const n = await notifier(starttls, { to_addresses: [] });
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/no recipients/);
  });

  it('tests the connection with a TLS login', async () => {
    const n = await notifier(starttls);
    expect(await n.testConnection()).toEqual({ ok: true, detail: expect.stringContaining('over TLS, login accepted') });
    await n.stop();
  });

  it('reads CERTCTL_SMTP_* from the environment', () => {
    const raw = configFromEnv(manifest.configSchema, manifest.env, {
      CERTCTL_SMTP_HOST: 'smtp.example.test',
      CERTCTL_SMTP_PORT: '465',
      CERTCTL_SMTP_USERNAME: 'admin@example.test',
      CERTCTL_SMTP_PASSWORD: 'app-password-123',
      CERTCTL_SMTP_FROM_ADDRESS: 'certctl@example.test',
      CERTCTL_SMTP_USE_TLS: 'true',
      CERTCTL_SMTP_TO_ADDRESSES: 'a@example.test,b@example.test',
    });
    expect(parseConfig(manifest.configSchema, raw)).toMatchObject({
      smtp_host: 'smtp.example.test',
      smtp_port: 465,
      password: 'app-password-123',
      use_tls: true,
      to_addresses: ['a@example.test', 'b@example.test'],
    });
  });

  it('escapes everything it puts into the generated HTML', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (subject, name) => {
        const base = testNotification();
        const html = emailHtml(
          { ...base, subject: `<script>${subject}`, certificate: { ...base.certificate!, name: `<img src=x>${name}` } },
          undefined,
        );
        expect(html).not.toContain('<script>');
        expect(html).not.toContain('<img');
        expect(html).toContain(escapeHtml(`<script>${subject}`));
      }),
      { numRuns: 200 },
    );
  });
});
