import { type FakeVendor, type ReceivedNotification, startFakeVendor, testNotifier } from '../src/index.js';
import manifest from './fixtures/example-notifier/index.js';

const TOKEN = 'webhook-token-0123456789';
let fake: FakeVendor;
const received: ReceivedNotification[] = [];
let failNext = false;

testNotifier(manifest, {
  config: () => ({ url: fake.url, token: TOKEN }),
  invalidConfigs: [{ config: { url: 'not a url', token: TOKEN }, path: 'url' }],
  hooks: {
    beforeAll: async () => {
      const authorised = (headers: Record<string, string>) => headers.authorization === `Bearer ${TOKEN}`;
      fake = await startFakeVendor({
        tls: false,
        routes: {
          'POST /events': (req) => {
            if (!authorised(req.headers)) return { status: 401, body: { error: 'unauthorized' } };
            if (failNext) {
              failNext = false;
              return { status: 503, body: { error: 'unavailable' } };
            }
            const body = req.json() as { subject?: unknown; dedup_key?: unknown; text?: unknown };
            if (typeof body.subject !== 'string' || typeof body.dedup_key !== 'string')
              return { status: 400, body: { error: 'subject and dedup_key are required' } };
            received.push({ action: 'send', subject: body.subject, dedupKey: body.dedup_key, text: String(body.text) });
            return { status: 201, body: { id: `evt-${received.length}` } };
          },
          'POST /resolve': (req) => {
            if (!authorised(req.headers)) return { status: 401, body: { error: 'unauthorized' } };
            const body = req.json() as { dedup_key?: unknown };
            if (typeof body.dedup_key !== 'string') return { status: 400, body: { error: 'dedup_key is required' } };
            received.push({ action: 'resolve', dedupKey: body.dedup_key });
            return { status: 204 };
          },
          'POST /ping': (req) =>
            authorised(req.headers) ? { status: 200, body: {} } : { status: 401, body: { error: 'unauthorized' } },
        },
      });
    },
    afterAll: () => fake.close(),
    received: () => received,
    failNextSend: () => {
      failNext = true;
    },
  },
});
