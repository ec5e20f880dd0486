import {
  fakeVendorNetwork,
  createTestContext,
  type FakeOpsgenie,
  startFakeOpsgenie,
  type TestContext,
  testNotification,
} from '@certctl/connector-testkit';
import { AuthenticationError, configFromEnv, parseConfig, VendorApiError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import manifest from './index.js';
import { opsgenieBaseUrl } from './opsgenie-config.js';

let og: FakeOpsgenie;
let ctx: TestContext;

beforeAll(async () => {
  og = await startFakeOpsgenie();
  ctx = await createTestContext({
    network: fakeVendorNetwork(og),
    environment: { publicBaseUrl: 'https://certctl.example.test' },
  });
});
afterAll(async () => {
  await ctx.cleanup();
  await og.close();
});
afterEach(() => og.faults.clear());

async function notifier(overrides: Record<string, unknown> = {}) {
  const config = parseConfig(manifest.configSchema, { api_key: og.apiKey, api_url: og.url, ...overrides });
  return manifest.create(config, ctx);
}

describe('notifier-opsgenie', () => {
  it('creates an alert under the dedup key as alias, deduplicates a repeat, and closes it by alias', async () => {
    const n = await notifier({ tags: ['pki', 'prod'] });
    const notification = testNotification({ severity: 'critical', event: 'expired' });
    const result = await n.send(notification);
    expect(result.providerId).toBe(og.actions.at(-1)!.requestId);
    await n.send(notification);
    const open = og.alerts.filter((a) => a.alias === notification.dedupKey);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      message: notification.subject.slice(0, 130),
      priority: 'P1',
      entity: 'conformance.example.test',
      source: 'certctl',
      status: 'open',
    });
    expect(open[0]!.tags).toEqual(['certctl', 'expired', 'pki', 'prod']);
    expect(open[0]!.details).toMatchObject({
      days_left: '7',
      link: 'https://certctl.example.test/certificates/cert-conformance',
    });
    expect(open[0]!.description).toContain('Common name: conformance.example.test');
    await n.resolve!(notification.dedupKey);
    expect(og.actions.at(-1)).toMatchObject({
      action: 'close',
      identifier: notification.dedupKey,
      identifierType: 'alias',
    });
    expect(open[0]!.status).toBe('closed');
  });

  it('closes alerts whose dedup key is a URL dot segment ("." or "..") through a hashed alias', async () => {
    const n = await notifier();
    for (const dedupKey of ['.', '..']) {
      await n.send(testNotification({ dedupKey }));
      const alert = og.alerts.at(-1)!;
      expect(alert.alias).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(alert.details).toMatchObject({ dedup_key: dedupKey });
      await n.resolve!(dedupKey);
      expect(alert.status).toBe('closed');
    }
  });

  it('keeps the message within 130 characters and maps severities to priorities', async () => {
    const n = await notifier();
    await n.send(testNotification({ subject: 'x'.repeat(400), severity: 'informational' }));
    const alert = og.alerts.at(-1)!;
    expect(alert.message.length).toBe(130);
    expect(alert.priority).toBe('P5');
    await (await notifier({ priority: 'P2' })).send(testNotification({ severity: 'informational' }));
    expect(og.alerts.at(-1)!.priority).toBe('P2');
  });

  it('reports a wrong GenieKey as an AuthenticationError without the key', async () => {
    const error = await (await notifier({ api_key: 'wrong-key-123456' }))
      .send(testNotification())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Could not authenticate/);
    expect((error as Error).message).not.toContain('wrong-key-123456');
  });

  it('reports 429 as retryable with Retry-After and 422 as permanent', async () => {
    og.rateLimitNext(7);
    const limited = await (await notifier()).send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(limited) && limited.retryable && limited.retryAfterSeconds === 7).toBe(true);
    og.faults.push({
      status: 422,
      body: {
        message: 'Request body is not processable. Please check the errors.',
        errors: { message: 'Message can not be empty.' },
      },
    });
    const unprocessable = await (await notifier()).send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(unprocessable) && !unprocessable.retryable && unprocessable.status === 422).toBe(
      true,
    );
  });

  it('uses the US or EU endpoint by region, unless api_url is set', () => {
    expect(opsgenieBaseUrl({ region: 'us' })).toBe('https://api.opsgenie.com');
    expect(opsgenieBaseUrl({ region: 'eu' })).toBe('https://api.eu.opsgenie.com');
    expect(opsgenieBaseUrl({ region: 'eu', api_url: 'https://og-proxy.example.test/' })).toBe(
      'https://og-proxy.example.test',
    );
  });

  it('reads CERTCTL_OPSGENIE_* from the environment', () => {
    const raw = configFromEnv(manifest.configSchema, manifest.env, {
      CERTCTL_OPSGENIE_API_KEY: 'k-1',
      CERTCTL_OPSGENIE_PRIORITY: 'P3',
      CERTCTL_OPSGENIE_REGION: 'eu',
      CERTCTL_OPSGENIE_TAGS: 'pki, prod',
    });
    expect(parseConfig(manifest.configSchema, raw)).toMatchObject({
      api_key: 'k-1',
      priority: 'P3',
      region: 'eu',
      tags: ['pki', 'prod'],
    });
  });

  it('builds alerts OpsGenie accepts for any subject, text, dedup key and certificate', async () => {
    const n = await notifier({ tags: ['pki'] });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1, maxLength: 500 }), fc.constantFrom(' ', '\n')),
        fc.string({ maxLength: 20_000 }),
        fc.string({ minLength: 1, maxLength: 700 }),
        fc.string({ minLength: 1, maxLength: 600 }),
        async (subject, text, dedupKey, commonName) => {
          const base = testNotification();
          await n.send({ ...base, subject, text, dedupKey, certificate: { ...base.certificate!, commonName } });
          await n.resolve!(dedupKey);
        },
      ),
      { numRuns: 20 },
    );
  });
});
