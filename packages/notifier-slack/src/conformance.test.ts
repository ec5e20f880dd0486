import {
  fakeVendorNetwork,
  createTestContext,
  type FakeSlack,
  startFakeSlack,
  testNotifier,
} from '@certctl/connector-testkit';
import manifest from './index.js';

let slack: FakeSlack | undefined;

testNotifier(manifest, {
  config: () => ({ webhook_url: slack!.webhookUrl, username: 'certctl' }),
  invalidConfigs: [
    {
      config: { webhook_url: 'http://hooks.slack.com/services/T1/B1/x' },
      path: 'webhook_url',
      description: 'plain-http webhook',
    },
    {
      config: { webhook_url: 'https://hooks.slack.com/services/T1/B1/x', icon_emoji: 'lock' },
      path: 'icon_emoji',
      description: 'emoji without colons',
    },
  ],
  context: () =>
    createTestContext({
      network: fakeVendorNetwork(slack!),
      environment: { publicBaseUrl: 'https://certctl.example.test' },
    }),
  hooks: {
    beforeAll: async () => {
      slack = await startFakeSlack();
    },
    afterAll: () => slack?.close(),
    received: () => slack!.messages.map((m) => ({ subject: m.text })),
    failNextSend: () => slack!.faults.push({ status: 500, body: 'internal_error' }),
  },
});
