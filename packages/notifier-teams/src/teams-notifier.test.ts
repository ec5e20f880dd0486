import {
  fakeVendorNetwork,
  createTestContext,
  type FakeTeams,
  startFakeTeams,
  type TestContext,
  testNotification,
} from '@certctl/connector-testkit';
import { AuthenticationError, parseConfig, VendorApiError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import manifest from './index.js';
import { teamsFormat } from './teams-config.js';

let teams: FakeTeams;
let ctx: TestContext;

beforeAll(async () => {
  teams = await startFakeTeams();
  ctx = await createTestContext({
    network: fakeVendorNetwork(teams),
    environment: { publicBaseUrl: 'https://certctl.example.test' },
  });
});
afterAll(async () => {
  await ctx.cleanup();
  await teams.close();
});
afterEach(() => teams.faults.clear());

async function notifier(overrides: Record<string, unknown>) {
  return manifest.create(parseConfig(manifest.configSchema, overrides), ctx);
}

describe('notifier-teams', () => {
  it('posts an Adaptive Card with the facts and an Open button to a Workflows webhook', async () => {
    const n = await notifier({ webhook_url: teams.workflowUrl });
    const notification = testNotification({ severity: 'critical' });
    const result = await n.send(notification);
    expect(result.detail).toMatch(/Adaptive Card/);
    const post = teams.posts.at(-1)!;
    expect(post.format).toBe('adaptive-card');
    expect(post.card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    const body = post.card!.body as Record<string, unknown>[];
    expect(body[0]).toMatchObject({ text: 'Certificate expiring', color: 'Attention' });
    const factSet = body.find((b) => b.type === 'FactSet') as { facts: { title: string; value: string }[] };
    expect(factSet.facts).toContainEqual({ title: 'Common name', value: 'conformance.example.test' });
    expect(factSet.facts).toContainEqual({ title: 'Days left', value: '7' });
    expect(post.card!.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open in certctl',
        url: 'https://certctl.example.test/certificates/cert-conformance',
      },
    ]);
  });

  it('posts a MessageCard to a legacy connector URL (chosen from the URL) and checks the "1" answer', async () => {
    const n = await notifier({ webhook_url: teams.legacyUrl });
    const notification = testNotification();
    await n.send(notification);
    const post = teams.posts.at(-1)!;
    expect(post.format).toBe('message-card');
    expect(post.payload).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: notification.subject,
      themeColor: 'FFB900',
    });
    teams.legacyDeliveryFailureNext();
    const error = await n.send(testNotification()).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/did not deliver/);
  });

  it('picks the format from the URL unless configured', () => {
    expect(
      teamsFormat({
        format: 'auto',
        webhook_url: 'https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d',
      }),
    ).toBe('message_card');
    expect(
      teamsFormat({
        format: 'auto',
        webhook_url: 'https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke',
      }),
    ).toBe('adaptive_card');
    expect(
      teamsFormat({ format: 'message_card', webhook_url: 'https://prod-01.westus.logic.azure.com/workflows/abc' }),
    ).toBe('message_card');
  });

  it('reports a wrong workflow signature as an AuthenticationError without the signature', async () => {
    const error = await (await notifier({ webhook_url: teams.wrongSignatureUrl }))
      .send(testNotification())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).not.toContain(new URL(teams.wrongSignatureUrl).searchParams.get('sig')!);
  });

  it('reports 429 as retryable with Retry-After', async () => {
    teams.rateLimitNext(20);
    const error = await (await notifier({ webhook_url: teams.workflowUrl }))
      .send(testNotification())
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error) && error.retryable && error.retryAfterSeconds === 20).toBe(true);
  });

  it('sends a legacy-format card to a Workflows URL only when told to, and Teams refuses it', async () => {
    const error = await (await notifier({ webhook_url: teams.workflowUrl, format: 'message_card' }))
      .send(testNotification())
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error) && error.status === 400 && !error.retryable).toBe(true);
  });

  it('builds cards Teams accepts for any subject, text and certificate name, in both formats', async () => {
    const workflow = await notifier({ webhook_url: teams.workflowUrl });
    const legacy = await notifier({ webhook_url: teams.legacyUrl });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 2000 }),
        fc.string({ maxLength: 12_000 }),
        fc.string({ minLength: 1, maxLength: 300 }),
        async (subject, text, name) => {
          const base = testNotification();
          const n = { ...base, subject, text, certificate: { ...base.certificate!, name } };
          await workflow.send(n);
          await legacy.send(n);
        },
      ),
      { numRuns: 15 },
    );
  });
});
