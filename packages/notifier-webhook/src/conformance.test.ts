import { testNotifier } from '@certctl/connector-testkit';
import manifest from './index.js';
import { startWebhookReceiver, type WebhookReceiver } from './test-support/webhook-receiver.js';

let receiver: WebhookReceiver | undefined;
const secret = 'conformance-webhook-secret-0123456789';
const token = 'receiver-token-abc';

testNotifier(manifest, {
  config: () => ({
    url: receiver!.url,
    secret,
    headers: { Authorization: `Bearer ${token}` },
    allow_loopback: true,
    ca_pem: receiver!.caPem,
  }),
  invalidConfigs: [
    { config: { url: 'ftp://example.test/hook' }, path: 'url', description: 'a non-HTTP URL' },
    { config: { url: 'https://example.test/hook', secret: 'short' }, path: 'secret', description: 'a short secret' },
    {
      config: { url: 'https://example.test/hook', headers: { 'X-Certctl-Signature': 'forged' } },
      path: 'headers',
      description: 'overriding the signature header',
    },
    {
      config: { url: 'https://example.test/hook', headers: { 'bad header': 'x' } },
      path: 'headers',
      description: 'an invalid header name',
    },
    {
      config: { url: 'https://example.test/hook', ssrf_allow: ['10.0.0.0/33'] },
      path: 'ssrf_allow',
      description: 'a malformed allow-list entry',
    },
  ],
  hooks: {
    beforeAll: async () => {
      receiver = await startWebhookReceiver({ secret, token });
    },
    afterAll: () => receiver?.close(),
    received: () =>
      receiver!.deliveries.map((d) => ({
        action: d.body.action === 'resolve' ? ('resolve' as const) : ('send' as const),
        subject: d.body.subject as string | undefined,
        dedupKey: d.body.dedup_key as string,
      })),
    failNextSend: () => receiver!.faults.push({ status: 500, body: { error: 'receiver broke' } }),
  },
});
