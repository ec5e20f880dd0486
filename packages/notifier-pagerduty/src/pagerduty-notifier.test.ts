import {
  fakeVendorNetwork,
  createTestContext,
  type FakePagerDuty,
  startFakePagerDuty,
  type TestContext,
  testNotification,
} from '@certctl/connector-testkit';
import { AuthenticationError, configFromEnv, parseConfig, VendorApiError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import manifest from './index.js';
import { pagerdutyDedupKey } from './pagerduty-event.js';

let pd: FakePagerDuty;
let ctx: TestContext;

beforeAll(async () => {
  pd = await startFakePagerDuty();
  ctx = await createTestContext({
    network: fakeVendorNetwork(pd),
    environment: { publicBaseUrl: 'https://certctl.example.test' },
  });
});
afterAll(async () => {
  await ctx.cleanup();
  await pd.close();
});
afterEach(() => pd.faults.clear());

async function notifier(overrides: Record<string, unknown> = {}) {
  const config = parseConfig(manifest.configSchema, {
    routing_key: pd.routingKey,
    events_url: `${pd.url}/v2/enqueue`,
    ...overrides,
  });
  return manifest.create(config, ctx);
}

describe('notifier-pagerduty', () => {
  it('triggers with the dedup key, then resolves the same alert when the certificate is renewed', async () => {
    const n = await notifier();
    const notification = testNotification({ event: 'renewal_failed', severity: 'critical' });
    const result = await n.send(notification);
    expect(result.providerId).toBe(notification.dedupKey);
    expect(pd.alerts.get(notification.dedupKey)).toBe('triggered');
    const event = pd.events.at(-1)!;
    expect(event.payload).toMatchObject({
      summary: notification.subject,
      source: 'conformance.example.test',
      severity: 'critical',
      class: 'renewal_failed',
      component: 'conformance',
    });
    expect(event.links).toEqual([
      { href: 'https://certctl.example.test/certificates/cert-conformance', text: 'Open in certctl' },
    ]);
    expect(event.client_url).toBe('https://certctl.example.test');
    await n.resolve!(notification.dedupKey);
    expect(pd.alerts.get(notification.dedupKey)).toBe('resolved');
    expect(pd.events.at(-1)!.event_action).toBe('resolve');
  });

  it('maps informational to info, and a configured severity overrides the mapping', async () => {
    await (await notifier()).send(testNotification({ severity: 'informational' }));
    expect(pd.events.at(-1)!.payload!.severity).toBe('info');
    await (await notifier({ severity: 'error' })).send(testNotification({ severity: 'critical' }));
    expect(pd.events.at(-1)!.payload!.severity).toBe('error');
  });

  it('hashes a dedup key longer than PagerDuty accepts, identically for trigger and resolve', async () => {
    const n = await notifier();
    const dedupKey = `cert/${'x'.repeat(300)}`;
    await n.send(testNotification({ dedupKey }));
    const sent = pd.events.at(-1)!.dedup_key;
    expect(sent).toBe(pagerdutyDedupKey(dedupKey));
    expect(sent.length).toBeLessThanOrEqual(255);
    await n.resolve!(dedupKey);
    expect(pd.alerts.get(sent)).toBe('resolved');
  });

  it('reports a routing key PagerDuty does not know as an AuthenticationError', async () => {
    const error = await (await notifier({ routing_key: 'b'.repeat(32) }))
      .send(testNotification())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/routing_key/);
  });

  it('reports 429 as retryable with Retry-After, and a 400 invalid event as permanent', async () => {
    pd.rateLimitNext(15);
    const limited = await (await notifier()).send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(limited) && limited.retryable && limited.status === 429).toBe(true);
    expect((limited as VendorApiError).retryAfterSeconds).toBe(15);
    pd.faults.push({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.summary' is missing or blank"],
      },
    });
    const invalid = await (await notifier()).send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(invalid) && !invalid.retryable && invalid.status === 400).toBe(true);
  });

  it('reads CERTCTL_PAGERDUTY_* from the environment', () => {
    const raw = configFromEnv(manifest.configSchema, manifest.env, {
      CERTCTL_PAGERDUTY_ROUTING_KEY: 'c'.repeat(32),
      CERTCTL_PAGERDUTY_SEVERITY: 'warning',
    });
    expect(parseConfig(manifest.configSchema, raw)).toMatchObject({
      routing_key: 'c'.repeat(32),
      severity: 'warning',
      events_url: 'https://events.pagerduty.com/v2/enqueue',
    });
  });

  it('builds events PagerDuty accepts for any subject, dedup key and certificate', async () => {
    const n = await notifier();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1, maxLength: 3000 }), fc.constantFrom(' ', '  \n')),
        fc.string({ minLength: 1, maxLength: 600 }),
        fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(' ', '\t', '')),
        async (subject, dedupKey, commonName) => {
          const base = testNotification();
          await n.send({ ...base, subject, dedupKey, certificate: { ...base.certificate!, commonName } });
          await n.resolve!(dedupKey);
        },
      ),
      { numRuns: 20 },
    );
  });
});
