import { startFakeVendor } from '@certctl/connector-testkit';
import webhookNotifier from '@certctl/notifier-webhook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchNotifications } from './notification-dispatch.js';
import { enqueueNotifications } from './notification-outbox.js';
import { createScratchPostgres, type ScratchPostgres } from '../../testing/postgres-database.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

describe('two replicas dispatching one outbox on PostgreSQL', () => {
  let scratch: ScratchPostgres;
  let a: TestServer;
  let b: TestServer;
  const received: string[] = [];
  let endpoint: Awaited<ReturnType<typeof startFakeVendor>>;
  beforeAll(async () => {
    endpoint = await startFakeVendor({
      tls: false,
      routes: {
        'POST /hook': async (request) => {
          await new Promise((r) => setTimeout(r, 15));
          received.push(String((request.json() as { dedup_key: string }).dedup_key));
          return { status: 200, body: { ok: true } };
        },
      },
    });
    scratch = await createScratchPostgres();
    a = await startTestServer({
      database: { url: scratch.url },
      connectors: [webhookNotifier],
      env: { CERTCTL_WEBHOOK_URL: `${endpoint.url}/hook`, CERTCTL_WEBHOOK_ALLOW_LOOPBACK: 'true' },
      replicaId: 'replica-a',
    });
    b = await startTestServer({
      database: { url: scratch.url },
      connectors: [webhookNotifier],
      env: { CERTCTL_WEBHOOK_URL: `${endpoint.url}/hook`, CERTCTL_WEBHOOK_ALLOW_LOOPBACK: 'true' },
      replicaId: 'replica-b',
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await scratch?.drop();
    await endpoint?.close();
  });

  it('delivers each row once when both claim at the same moment (SKIP LOCKED leases), and enqueueing twice is a no-op', async () => {
    for (let i = 0; i < 150; i++) {
      const request = {
        dedupBase: `test:${i}`,
        channels: ['Webhook'],
        message: {
          event: 'test' as const,
          severity: 'informational' as const,
          subject: `s${i}`,
          text: 't',
          incidentKey: `k${i}`,
          occurredAt: new Date().toISOString(),
        },
      };
      const [first, second] = await Promise.all([
        enqueueNotifications(a.deps.db, a.deps, request),
        enqueueNotifications(b.deps.db, b.deps, request),
      ]);
      expect(first.length + second.length).toBe(1);
    }
    const [ra, rb] = await Promise.all([dispatchNotifications(a.deps), dispatchNotifications(b.deps)]);
    expect(ra.sent + rb.sent).toBe(150);
    expect(ra.sent).toBeGreaterThan(0);
    expect(rb.sent).toBeGreaterThan(0);
    expect(received).toHaveLength(150);
    expect(new Set(received).size).toBe(150);
  });
});
