import {
  fakeVendorNetwork,
  createTestContext,
  type FakeSlack,
  startFakeSlack,
  type TestContext,
  testNotification,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConnectorError, parseConfig, VendorApiError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import manifest from './index.js';
import { escapeMrkdwn } from './slack-message.js';

let slack: FakeSlack;
let ctx: TestContext;

beforeAll(async () => {
  slack = await startFakeSlack();
  ctx = await createTestContext({
    network: fakeVendorNetwork(slack),
    environment: { publicBaseUrl: 'https://certctl.example.test/' },
  });
});
afterAll(async () => {
  await ctx.cleanup();
  await slack.close();
});
afterEach(() => {
  slack.faults.clear();
});

async function notifier(overrides: Record<string, unknown> = {}, context: TestContext = ctx) {
  const config = parseConfig(manifest.configSchema, { webhook_url: slack.webhookUrl, ...overrides });
  return manifest.create(config, context);
}

describe('notifier-slack', () => {
  it('posts a Block Kit message with the certificate facts and a link to the dashboard', async () => {
    const n = await notifier({ channel: '#pki', username: 'certctl', icon_emoji: ':lock:' });
    const notification = testNotification({ severity: 'critical', event: 'expiring' });
    const result = await n.send(notification);
    expect(result.detail).toContain('#pki');
    const message = slack.messages.at(-1)!;
    expect(message.text).toBe(notification.subject);
    expect(message).toMatchObject({ channel: '#pki', username: 'certctl', icon_emoji: ':lock:' });
    const json = JSON.stringify(message.blocks);
    expect(json).toContain('conformance.example.test');
    expect(json).toContain('*Days left*\\n7');
    expect(json).toContain(':rotating_light:');
    expect(json).toContain(notification.dedupKey);
    const actions = message.blocks!.find((b) => b.type === 'actions') as { elements: { url: string }[] };
    expect(actions.elements[0]!.url).toBe('https://certctl.example.test/certificates/cert-conformance');
  });

  it('reports 429 as a retryable VendorApiError carrying Retry-After', async () => {
    slack.rateLimitNext(30);
    const error = await (await notifier()).send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(429);
    expect((error as VendorApiError).retryable).toBe(true);
    expect((error as VendorApiError).retryAfterSeconds).toBe(30);
  });

  it('reports a wrong webhook token as an AuthenticationError that does not repeat the URL', async () => {
    const n = await notifier({ webhook_url: slack.wrongTokenUrl });
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('invalid_token');
    expect((error as Error).message).not.toContain(new URL(slack.wrongTokenUrl).pathname);
  });

  it('reports a removed webhook (404 no_service) as a permanent error naming what to do', async () => {
    const error = await (await notifier({ webhook_url: slack.removedUrl }))
      .send(testNotification())
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(404);
    expect((error as VendorApiError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/create a new one/);
  });

  it('reports a 5xx as retryable', async () => {
    slack.faults.push({ status: 503, body: 'service_unavailable' });
    const error = await (await notifier()).send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error) && error.retryable).toBe(true);
  });

  it('refuses to reach a loopback webhook under the strict SSRF policy', async () => {
    const strict = await createTestContext({ network: {} });
    try {
      const before = slack.vendor.requests.length;
      const error = await (await notifier({}, strict)).send(testNotification()).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/loopback/);
      expect(slack.vendor.requests.length).toBe(before);
    } finally {
      await strict.cleanup();
    }
  });

  it('escapes mrkdwn control characters', () => {
    expect(escapeMrkdwn('<!channel> & <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;https://x|y&gt;');
  });

  it('builds messages Slack accepts for any subject, text and certificate name', async () => {
    const n = await notifier();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 400 }),
        fc.string({ maxLength: 5000 }),
        fc.string({ minLength: 1, maxLength: 300 }),
        async (subject, text, name) => {
          const base = testNotification();
          await n.send({
            ...base,
            subject,
            text,
            certificate: { ...base.certificate!, name, sans: [name, 'b.example.test'] },
          });
          expect(slack.messages.at(-1)!.text).toBe(subject);
        },
      ),
      { numRuns: 25 },
    );
  });
});
