import { defineIssuer, defineNotifier, defineTarget, REDACTED, secret } from '@certctl/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { CONFIG_REPLACES } from '../http/schemas/common.js';
import { call } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/**
 * Issue 26 item 8: PUT changes only the fields it is given. A rename keeps the config; a config,
 * when sent, replaces the stored one, with "[redacted]" keeping the stored secret.
 */

const treeIssuer = defineIssuer({
  id: 'tree-ca',
  displayName: 'Tree CA',
  version: '0.0.0',
  specificationVersion: 'v1',
  configSchema: z
    .object({
      hierarchy_mode: z.enum(['single', 'tree']).default('single'),
      api_token: secret(z.string().min(1)).optional(),
      label: z.string().optional(),
    })
    .strict(),
  create: () => ({
    issue: async () => {
      throw new Error('not used');
    },
  }),
});

const hookNotifier = defineNotifier({
  id: 'hook',
  displayName: 'Hook',
  version: '0.0.0',
  specificationVersion: 'v1',
  configSchema: z
    .object({ url: z.string().min(1), token: secret(z.string().min(1)), channel: z.string().optional() })
    .strict(),
  create: () => ({ send: async () => ({ delivered: true, detail: 'sent' }) }),
});

const boxTarget = defineTarget({
  id: 'box',
  displayName: 'Box',
  version: '0.0.0',
  specificationVersion: 'v1',
  configSchema: z
    .object({ host: z.string().min(1), password: secret(z.string().min(8)), port: z.number().optional() })
    .strict(),
  create: () => ({
    deploy: async () => ({ changed: false, detail: 'nothing' }),
    validateDeployment: async () => ({ valid: true, detail: 'ok' }),
  }),
});

const resources = [
  {
    kind: 'issuers',
    create: {
      name: 'Tree',
      type: 'tree-ca',
      config: { hierarchy_mode: 'tree', api_token: 'issuer-token-1', label: 'a' },
    },
    secretKey: 'api_token',
    keptKey: ['hierarchy_mode', 'tree'] as const,
    replacement: { hierarchy_mode: 'tree', api_token: REDACTED },
    droppedKey: 'label',
  },
  {
    kind: 'notifiers',
    create: {
      name: 'Hook',
      type: 'hook',
      config: { url: 'https://hooks.example.net/a', token: 'notifier-token-1', channel: 'ops' },
    },
    secretKey: 'token',
    keptKey: ['url', 'https://hooks.example.net/a'] as const,
    replacement: { url: 'https://hooks.example.net/a', token: REDACTED },
    droppedKey: 'channel',
  },
  {
    kind: 'targets',
    create: {
      name: 'Box',
      type: 'box',
      config: { host: 'box.example.net', password: 'target-password-1', port: 8443 },
    },
    secretKey: 'password',
    keptKey: ['host', 'box.example.net'] as const,
    replacement: { host: 'box.example.net', password: REDACTED },
    droppedKey: 'port',
  },
];

describeEachDialect('PUT on resources with a config changes only what it is given', (ctx) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [treeIssuer, hookNotifier, boxTarget] });
  });
  afterAll(() => server?.stop());

  /** The stored config with secrets decrypted, read through the service the runtime uses. */
  const storedSecret = async (kind: string, id: string, key: string) => {
    if (kind === 'targets') {
      const { decryptedTargetConfig } = await import('../features/agents/targets.js');
      const row = await server.deps.db.selectFrom('targets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return decryptedTargetConfig(server.deps, row)[key];
    }
    const table = kind as 'issuers';
    const row = await server.deps.db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const { decryptSecrets } = await import('../connectors/secret-config.js');
    const schema = server.deps.registry.get(kind === 'issuers' ? 'issuer' : 'notifier', row.type).configSchema;
    return decryptSecrets(schema, row.config, server.deps.cipher, id, kind === 'issuers' ? 'issuer' : 'notifier')[key];
  };

  for (const resource of resources) {
    it(`${resource.kind}: a rename keeps the config and its secret`, async () => {
      const created = await call(server.api, 'POST', `/api/v1/${resource.kind}`, {
        ...resource.create,
        name: `${resource.create.name}-${ctx.dialect}-rename`,
      });
      expect(created.status, created.body).toBe(201);
      const id = String(created.json.id);
      const renamed = await call(server.api, 'PUT', `/api/v1/${resource.kind}/${id}`, {
        name: `renamed-${ctx.dialect}`,
      });
      expect(renamed.status, renamed.body).toBe(200);
      expect(renamed.json.name).toBe(`renamed-${ctx.dialect}`);
      const config = renamed.json.config as Record<string, unknown>;
      expect(config[resource.keptKey[0]]).toBe(resource.keptKey[1]);
      expect(config[resource.secretKey]).toBe(REDACTED);
      expect(config[resource.droppedKey]).toBeDefined();
      expect(await storedSecret(resource.kind, id, resource.secretKey)).toBe(
        (resource.create.config as Record<string, unknown>)[resource.secretKey],
      );
      const disabled = await call(server.api, 'PUT', `/api/v1/${resource.kind}/${id}`, { enabled: false });
      expect(disabled.status, disabled.body).toBe(200);
      expect((disabled.json.config as Record<string, unknown>)[resource.keptKey[0]]).toBe(resource.keptKey[1]);
      expect(disabled.json.name).toBe(`renamed-${ctx.dialect}`);
    });

    it(`${resource.kind}: a config sent replaces the stored one, "[redacted]" keeps the secret`, async () => {
      const created = await call(server.api, 'POST', `/api/v1/${resource.kind}`, {
        ...resource.create,
        name: `${resource.create.name}-${ctx.dialect}-replace`,
      });
      expect(created.status, created.body).toBe(201);
      const id = String(created.json.id);
      const replaced = await call(server.api, 'PUT', `/api/v1/${resource.kind}/${id}`, {
        config: resource.replacement,
      });
      expect(replaced.status, replaced.body).toBe(200);
      const config = replaced.json.config as Record<string, unknown>;
      expect(config[resource.keptKey[0]]).toBe(resource.keptKey[1]);
      expect(config[resource.droppedKey]).toBeUndefined();
      expect(config[resource.secretKey]).toBe(REDACTED);
      expect(await storedSecret(resource.kind, id, resource.secretKey)).toBe(
        (resource.create.config as Record<string, unknown>)[resource.secretKey],
      );
    });
  }

  it('the OpenAPI document says what PUT does with config', async () => {
    const doc = await call(server.api, 'GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    for (const kind of ['issuers', 'notifiers', 'targets']) {
      const put = (doc.json.paths as Record<string, Record<string, unknown>>)[`/api/v1/${kind}/{id}`]?.put;
      expect(JSON.stringify(put)).toContain(JSON.stringify(CONFIG_REPLACES).slice(1, -1));
    }
  });
});
