import {
  fakeVendorNetwork,
  createTestContext,
  type FakeTeams,
  startFakeTeams,
  testNotifier,
} from '@certctl/connector-testkit';
import manifest from './index.js';

let teams: FakeTeams | undefined;
const context = () =>
  createTestContext({
    network: fakeVendorNetwork(teams!),
    environment: { publicBaseUrl: 'https://certctl.example.test' },
  });
const hooks = {
  beforeAll: async () => {
    teams = await startFakeTeams();
  },
  afterAll: () => teams?.close(),
  failNextSend: () =>
    teams!.faults.push({ status: 500, body: { error: { code: 'InternalServerError', message: 'boom' } } }),
};

testNotifier(manifest, {
  config: () => ({ webhook_url: teams!.workflowUrl }),
  invalidConfigs: [
    {
      config: { webhook_url: 'https://x.example.test/hook', format: 'xml' },
      path: 'format',
      description: 'an unknown format',
    },
  ],
  context,
  hooks: {
    ...hooks,
    received: () =>
      teams!.posts
        .filter((p) => p.format === 'adaptive-card')
        .map((p) => ({ subject: (p.card!.body as { text?: string }[])[1]!.text })),
  },
});

testNotifier(manifest, {
  instanceId: 'legacy-connector',
  config: () => ({ webhook_url: teams!.legacyUrl }),
  context,
  hooks: {
    ...hooks,
    received: () =>
      teams!.posts.filter((p) => p.format === 'message-card').map((p) => ({ subject: p.payload.summary as string })),
  },
});
