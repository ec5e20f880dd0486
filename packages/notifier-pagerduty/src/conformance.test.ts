import {
  fakeVendorNetwork,
  createTestContext,
  type FakePagerDuty,
  startFakePagerDuty,
  testNotifier,
} from '@certctl/connector-testkit';
import manifest from './index.js';

let pd: FakePagerDuty | undefined;

testNotifier(manifest, {
  config: () => ({ routing_key: pd!.routingKey, events_url: `${pd!.url}/v2/enqueue` }),
  invalidConfigs: [
    { config: { routing_key: 'short' }, path: 'routing_key', description: 'a routing key that is not 32 characters' },
    { config: { routing_key: 'a'.repeat(32), severity: 'high' }, path: 'severity', description: 'an unknown severity' },
  ],
  context: () =>
    createTestContext({
      network: fakeVendorNetwork(pd!),
      environment: { publicBaseUrl: 'https://certctl.example.test' },
    }),
  hooks: {
    beforeAll: async () => {
      pd = await startFakePagerDuty();
    },
    afterAll: () => pd?.close(),
    received: () =>
      pd!.events.map((e) => ({
        action: e.event_action === 'resolve' ? ('resolve' as const) : ('send' as const),
        subject: e.payload?.summary,
        dedupKey: e.dedup_key,
      })),
    failNextSend: () => pd!.faults.push({ status: 500, body: { status: 'error', message: 'Internal error' } }),
  },
});
