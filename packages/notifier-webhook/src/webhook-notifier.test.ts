import { createTestContext, type TestContext, testNotification } from '@certctl/connector-testkit';
import {
  AuthenticationError,
  ConnectorError,
  configFromEnv,
  DeadlineExceededError,
  parseConfig,
  VendorApiError,
} from '@certctl/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import manifest from './index.js';
import { startWebhookReceiver, type WebhookReceiver } from './test-support/webhook-receiver.js';

const secret = 'webhook-test-secret-0123456789abcdef';
const token = 'tkn-123';
let receiver: WebhookReceiver;
let plainReceiver: WebhookReceiver;
let ctx: TestContext;

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret, token });
  plainReceiver = await startWebhookReceiver({ secret, token, tls: false });
  ctx = await createTestContext({ environment: { publicBaseUrl: 'https://certctl.example.test' } });
});
afterAll(async () => {
  await ctx.cleanup();
  await receiver.close();
  await plainReceiver.close();
});
afterEach(() => receiver.faults.clear());

function notifier(overrides: Record<string, unknown> = {}) {
  const config = parseConfig(manifest.configSchema, {
    url: receiver.url,
    secret,
    headers: { Authorization: `Bearer ${token}`, 'X-Team': 'pki' },
    allow_loopback: true,
    ca_pem: receiver.caPem,
    ...overrides,
  });
  return manifest.create(config, ctx) as Promise<
    Awaited<ReturnType<typeof manifest.create>> & { stop(): Promise<void> }
  >;
}

describe('notifier-webhook', () => {
  it('POSTs signed snake_case JSON with the custom headers, and a resolve for the same dedup key', async () => {
    const n = await notifier();
    const notification = testNotification({ html: '<p>x</p>' });
    const result = await n.send(notification);
    const delivery = receiver.deliveries.at(-1)!;
    expect(result.providerId).toBe(delivery.headers['x-certctl-delivery']);
    expect(delivery.headers['x-team']).toBe('pki');
    expect(delivery.headers['x-certctl-event']).toBe('expiring');
    expect(delivery.headers['user-agent']).toMatch(/^certctl-notifier-webhook\//);
    expect(delivery.headers['x-certctl-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery.body).toMatchObject({
      action: 'notify',
      event: 'expiring',
      severity: 'warning',
      subject: notification.subject,
      html: '<p>x</p>',
      dedup_key: notification.dedupKey,
      url: 'https://certctl.example.test/certificates/cert-conformance',
      certificate: { common_name: 'conformance.example.test', days_remaining: 7, serial: '1a2b3c' },
    });
    await n.resolve!(notification.dedupKey);
    expect(receiver.deliveries.at(-1)!.body).toMatchObject({ action: 'resolve', dedup_key: notification.dedupKey });
    await n.stop();
  });

  it('works over plain HTTP too', async () => {
    const n = await notifier({ url: plainReceiver.url, ca_pem: undefined });
    await n.send(testNotification());
    expect(plainReceiver.deliveries).toHaveLength(1);
    await n.stop();
  });

  it('refuses loopback unless allow_loopback is set, without sending anything', async () => {
    const before = receiver.vendor.requests.length;
    const n = await notifier({ allow_loopback: false });
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /refused to connect to 127\.0\.0\.1: loopback address; set allow_loopback/,
    );
    expect(receiver.vendor.requests.length).toBe(before);
    await n.stop();
  });

  it('refuses link-local and metadata addresses even with loopback and private networks allowed', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://169.254.10.20/hook',
      'http://metadata.google.internal/x',
      'http://[fe80::1]/hook',
    ]) {
      const n = await notifier({ url, allow_private: true });
      const error = await n.send(testNotification()).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error), url).toBe(true);
      expect((error as Error).message, url).toMatch(/refused to connect/);
      await n.stop();
    }
  });

  it('does not trust the receiver certificate without ca_pem', async () => {
    const n = await notifier({ ca_pem: undefined });
    const before = receiver.deliveries.length;
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/CERT|SIGNATURE|certificate/i);
    expect(receiver.deliveries.length).toBe(before);
    await n.stop();
  });

  it('reports a refused signature or token as an AuthenticationError', async () => {
    const wrongSecret = await notifier({ secret: 'another-secret-that-is-long-enough' });
    expect(AuthenticationError.isInstance(await wrongSecret.send(testNotification()).catch((e: unknown) => e))).toBe(
      true,
    );
    const noSecret = await notifier({ secret: undefined });
    expect(AuthenticationError.isInstance(await noSecret.send(testNotification()).catch((e: unknown) => e))).toBe(true);
    await wrongSecret.stop();
    await noSecret.stop();
  });

  it('reports 429 as retryable with Retry-After and 400 as permanent', async () => {
    const n = await notifier();
    receiver.faults.push({ status: 429, headers: { 'retry-after': '12' }, body: 'slow down' });
    const limited = await n.send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(limited) && limited.retryable && limited.retryAfterSeconds === 12).toBe(true);
    receiver.faults.push({ status: 400, body: 'bad' });
    const bad = await n.send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(bad) && !bad.retryable).toBe(true);
    await n.stop();
  });

  it('gives up after request_timeout_seconds with a DeadlineExceededError', async () => {
    const n = await notifier({ request_timeout_seconds: 1 });
    receiver.delayNextMs(2500);
    const started = Date.now();
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2400);
    await n.stop();
  });

  it('reads CERTCTL_WEBHOOK_* from the environment', () => {
    const raw = configFromEnv(manifest.configSchema, manifest.env, {
      CERTCTL_WEBHOOK_URL: 'https://hooks.example.test/certctl',
      CERTCTL_WEBHOOK_SECRET: 's'.repeat(32),
      CERTCTL_WEBHOOK_HEADERS: '{"Authorization":"Bearer x"}',
      CERTCTL_WEBHOOK_ALLOW_PRIVATE: 'true',
      CERTCTL_WEBHOOK_SSRF_ALLOW: '10.9.0.0/16, hooks.corp',
    });
    expect(parseConfig(manifest.configSchema, raw)).toMatchObject({
      url: 'https://hooks.example.test/certctl',
      headers: { Authorization: 'Bearer x' },
      allow_private: true,
      allow_loopback: false,
      ssrf_allow: ['10.9.0.0/16', 'hooks.corp'],
    });
  });
});
