import { randomBytes } from 'node:crypto';
import { fakeVendorNetwork, type FakeSlack, startFakeSlack, testNotification } from '@certctl/connector-testkit';
import slackNotifier from '@certctl/notifier-slack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor } from '../db/open-database.js';
import { createLogger } from '../observability/logger.js';
import { createServerMetrics } from '../observability/metrics.js';
import { createConfigCipher } from './config-cipher.js';
import { createServerRegistry, type ServerRegistryOptions } from './server-registry.js';

describe("the server registry's connector context", () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });

  async function slackRuntime(options?: ServerRegistryOptions, notifierBaseUrl?: string) {
    const server = createServerRegistry(createLogger({ level: 'silent' }), options);
    server.registry.register(slackNotifier);
    // Sending to Slack touches neither the database nor the cipher.
    server.attach({
      db: {} as Executor,
      cipher: createConfigCipher(randomBytes(32)),
      metrics: createServerMetrics(),
      environment: { app: 'server', publicBaseUrl: 'https://certctl.example.test:8443' },
      notifierBaseUrl,
    });
    return server.registry.instantiate(
      'notifier',
      'slack',
      { webhook_url: slack.webhookUrl },
      { instanceId: 'ntf-slack' },
    );
  }

  it('refuses loopback vendors by default: the SSRF policy stays strict unless a test injects a fetch', async () => {
    const before = slack.vendor.requests.length;
    const error = await (await slackRuntime()).send(testNotification()).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/loopback|not allowed|refus/i);
    expect(slack.vendor.requests.length).toBe(before);
  });

  it('uses the injected network, and links notifiers to the dashboard base URL when one is given', async () => {
    const network = fakeVendorNetwork(slack);
    await (await slackRuntime({ network })).send(testNotification());
    expect(JSON.stringify(slack.messages.at(-1)?.blocks)).toContain('https://certctl.example.test:8443/certificates/');
    await (await slackRuntime({ network }, 'https://dashboard.example.test')).send(testNotification());
    expect(JSON.stringify(slack.messages.at(-1)?.blocks)).toContain('https://dashboard.example.test/certificates/');
  });
});
