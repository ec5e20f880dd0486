import {
  fakeVendorNetwork,
  createTestContext,
  type FakeOpsgenie,
  startFakeOpsgenie,
  testNotifier,
} from '@certctl/connector-testkit';
import manifest from './index.js';

let og: FakeOpsgenie | undefined;

testNotifier(manifest, {
  config: () => ({ api_key: og!.apiKey, api_url: og!.url, tags: ['pki'] }),
  invalidConfigs: [
    { config: { api_key: 'k', region: 'apac' }, path: 'region', description: 'an unknown region' },
    { config: { api_key: 'k', priority: 'P9' }, path: 'priority', description: 'an unknown priority' },
  ],
  context: () =>
    createTestContext({
      network: fakeVendorNetwork(og!),
      environment: { publicBaseUrl: 'https://certctl.example.test' },
    }),
  hooks: {
    beforeAll: async () => {
      og = await startFakeOpsgenie();
    },
    afterAll: () => og?.close(),
    received: () =>
      og!.actions.map((a) =>
        a.action === 'close'
          ? { action: 'resolve' as const, dedupKey: a.identifier }
          : { action: 'send' as const, dedupKey: a.body.alias as string },
      ),
    failNextSend: () =>
      og!.faults.push({ status: 503, body: { message: 'Service unavailable', took: 0, requestId: 'x' } }),
  },
});
