import acmeIssuer from '@certctl/issuer-acme';
import webhookNotifier from '@certctl/notifier-webhook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerRegistry } from '../connectors/server-registry.js';
import type { RegistryDependencies } from '../connectors/server-registry.js';
import { createLogger } from '../observability/logger.js';
import { call } from '../testing/api-fixtures.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/** The hosts a probe saved configs for: cloud metadata, private, CGNAT and unique-local, in several notations. */
const HOSTS = [
  '169.254.169.254',
  '[::ffff:169.254.169.254]',
  '2852039166',
  '0xA9FEA9FE',
  '10.0.0.1',
  '[fd00::1]',
  '100.100.100.200',
  'metadata.google.internal',
];

describe('connector configs pointing where the server may not connect are refused when saved', () => {
  let server: TestServer;
  beforeAll(async () => {
    // The production network policy (no test hook): public addresses only.
    server = await startTestServer({ database: {}, connectors: [webhookNotifier, acmeIssuer] });
  });
  afterAll(() => server?.stop());

  const count = async (path: string) => Number((await call(server.api, 'GET', path)).json.total);

  it('refuses metadata and private addresses in notifier and ACME issuer configs on create and update, and saves nothing', async () => {
    const notifiers = await count('/api/v1/notifiers');
    const issuers = await count('/api/v1/issuers');
    for (const host of HOSTS) {
      const notifier = await call(server.api, 'POST', '/api/v1/notifiers', {
        name: `hook ${host}`,
        type: 'webhook',
        config: { url: `http://${host}/latest/meta-data/` },
      });
      expect(notifier.status, `${host}: ${notifier.body}`).toBe(400);
      expect(notifier.json).toMatchObject({ error: 'invalid_config', request_id: expect.any(String) });
      expect(notifier.json.message).toMatch(/^config points at addresses the server may not connect to \(url: /);
      const issuer = await call(server.api, 'POST', '/api/v1/issuers', {
        name: `acme ${host}`,
        type: 'acme',
        config: { directory_url: `https://${host}/directory`, email: 'ops@example.com' },
      });
      expect(issuer.status, `${host}: ${issuer.body}`).toBe(400);
      expect(issuer.json.error).toBe('invalid_config');
    }
    expect(await count('/api/v1/notifiers')).toBe(notifiers);
    expect(await count('/api/v1/issuers')).toBe(issuers);

    const saved = await call(server.api, 'POST', '/api/v1/notifiers', {
      name: 'public hook',
      type: 'webhook',
      config: { url: 'https://hooks.example.com/certctl' },
    });
    expect(saved.status, saved.body).toBe(201);
    const moved = await call(server.api, 'PUT', `/api/v1/notifiers/${String(saved.json.id)}`, {
      config: { url: 'http://0xA9FEA9FE/' },
    });
    expect(moved.status, moved.body).toBe(400);
    expect(moved.json.message).toMatch(/metadata/);
    const kept = await call(server.api, 'GET', `/api/v1/notifiers/${String(saved.json.id)}`);
    expect((kept.json.config as { url: string }).url).toBe('https://hooks.example.com/certctl');
  });

  it('resolves names before a connection test: a name that resolves to loopback fails the test without a request', async () => {
    const saved = await call(server.api, 'POST', '/api/v1/notifiers', {
      name: 'localhost hook',
      type: 'webhook',
      config: { url: 'http://localhost:9/hook' },
    });
    expect(saved.status, saved.body).toBe(201);
    const tested = await call(server.api, 'POST', `/api/v1/notifiers/${String(saved.json.id)}/test`, {});
    expect(tested.status, tested.body).toBe(200);
    expect(tested.json).toMatchObject({ ok: false, detail: expect.stringMatching(/loopback address/) });
  });
});

describe('the operator network setting', () => {
  it('CERTCTL_NETWORK_ALLOW widens the connectors’ network; the test hook alone is kept otherwise', () => {
    const logger = createLogger({ level: 'silent' });
    const strict = createServerRegistry(logger);
    strict.attach({ networkAllow: ['10.1.0.0/16', 'vault.corp'] } as unknown as RegistryDependencies);
    expect(strict.network()).toEqual({ allow: ['10.1.0.0/16', 'vault.corp'] });
    const hooked = createServerRegistry(logger, { network: { allowLoopback: true, allow: ['a.test'] } });
    hooked.attach({} as unknown as RegistryDependencies);
    expect(hooked.network()).toEqual({ allowLoopback: true, allow: ['a.test'] });
  });
});
