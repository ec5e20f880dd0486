import { configJsonSchema, defineTarget, REDACTED, secret } from '@certctl/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';
import { decryptedTargetConfig } from './targets.js';

/** A target connector installed on the server: its zod schema checks configs and marks secrets. */
const applianceSchema = z
  .object({
    host: z.string().min(1),
    username: z.string().min(1),
    password: secret(z.string().min(8)),
    partitions: z.array(z.object({ name: z.string(), key_passphrase: secret(z.string().min(1)) })).default([]),
  })
  .strict();
const applianceTarget = defineTarget({
  specificationVersion: 'v1',
  id: 'appliance',
  displayName: 'Test appliance',
  version: '0.0.0',
  configSchema: applianceSchema,
  create: () => ({
    deploy: async () => ({ changed: false, detail: 'nothing' }),
    validateDeployment: async () => ({ valid: true, detail: 'ok' }),
  }),
});

/** A target connector the server does not have: only its agent reports its schema. */
const cloudSchema = z
  .object({
    vault_url: z.url(),
    tenant_id: z.string().min(1),
    client_secret: secret(z.string().min(1)),
    tags: z.record(z.string(), secret(z.string())).optional(),
  })
  .strict();

const PASSWORD = 'appliance-password-0001';
const PASSPHRASE = 'partition-passphrase-0002';
const CLIENT_SECRET = 'cloud-client-secret-0003';
const TAG_SECRET = 'tag-secret-value-0004';

describeEachDialect('target configs: validated, secrets encrypted at rest and redacted', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  let agentA: { id: string; key: string };
  let agentB: { id: string; key: string };
  const logged: string[] = [];

  const registerAgent = async (name: string, body: Record<string, unknown> = {}) => {
    const r = await call(server.api, 'POST', '/api/v1/agents', { name: `${name}-${ctx.dialect}`, ...body });
    expect(r.status, r.body).toBe(201);
    return { id: String(r.json.id), key: String(r.json.api_key), json: r.json };
  };
  const rawTarget = (id: string) =>
    server.deps.db.selectFrom('targets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  let counter = 0;
  const createTarget = (body: Record<string, unknown>) =>
    call(server.api, 'POST', '/api/v1/targets', { name: `tgt-${ctx.dialect}-${counter++}`, ...body });

  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest, applianceTarget],
      env: { CERTCTL_LOG_LEVEL: 'debug' },
      logDestination: { write: (line) => void logged.push(line) },
    });
    basics = await createBasics(server.api);
    agentA = await registerAgent('agent-a', {
      target_types: [{ type: 'cloud-vault', config_schema: configJsonSchema(cloudSchema) }],
    });
    agentB = await registerAgent('agent-b');
  });
  afterAll(() => server?.stop());

  const applianceConfig = () => ({
    host: 'lb.example.net',
    username: 'admin',
    password: PASSWORD,
    partitions: [{ name: 'Common', key_passphrase: PASSPHRASE }],
  });

  it('stores secret fields encrypted, records their paths, and redacts them in every view', async () => {
    const created = await createTarget({ type: 'appliance', agent_id: agentA.id, config: applianceConfig() });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({
      config_schema_source: 'server',
      config: {
        host: 'lb.example.net',
        password: REDACTED,
        partitions: [{ name: 'Common', key_passphrase: REDACTED }],
      },
    });
    expect(created.json).not.toHaveProperty('config_secret_paths');
    const id = String(created.json.id);

    const row = await rawTarget(id);
    const stored = JSON.stringify(row.config);
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain(PASSPHRASE);
    expect(String(row.config.password)).toMatch(/^v1:/);
    expect(row.config.host).toBe('lb.example.net');
    expect(row.configSecretPaths).toEqual([['password'], ['partitions', '*', 'key_passphrase']]);

    for (const path of [`/api/v1/targets/${id}`, `/api/v1/targets?agent_id=${agentA.id}&per_page=100`]) {
      const shown = await call(server.api, 'GET', path, undefined, KEYS.viewer);
      expect(shown.status).toBe(200);
      expect(shown.body).not.toContain(PASSWORD);
      expect(shown.body).not.toContain(PASSPHRASE);
      expect(shown.body).toContain(REDACTED);
    }
    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${id}`);
    expect(audit.json.total).toBeGreaterThanOrEqual(1);
    expect(audit.body).not.toContain(PASSWORD);
    expect(audit.body).not.toContain(PASSPHRASE);
  });

  it('an update that sends [redacted] back keeps the stored secrets, arrays included', async () => {
    const created = await createTarget({ type: 'appliance', agent_id: agentA.id, config: applianceConfig() });
    const id = String(created.json.id);
    const shown = await call(server.api, 'GET', `/api/v1/targets/${id}`);
    const edited = { ...(shown.json.config as Record<string, unknown>), host: 'lb2.example.net' };
    const updated = await call(server.api, 'PUT', `/api/v1/targets/${id}`, { config: edited });
    expect(updated.status, updated.body).toBe(200);
    expect(updated.json.config).toMatchObject({ host: 'lb2.example.net', password: REDACTED });

    const row = await rawTarget(id);
    expect(JSON.stringify(row.config)).not.toContain(REDACTED);
    expect(decryptedTargetConfig(server.deps, row)).toEqual({ ...applianceConfig(), host: 'lb2.example.net' });

    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${id}&action=update_target`);
    expect(audit.json.total).toBe(1);
    expect(audit.body).not.toContain(PASSWORD);
  });

  it('a new secret value replaces the stored one; a [redacted] with nothing behind it is refused', async () => {
    const created = await createTarget({ type: 'appliance', agent_id: agentA.id, config: applianceConfig() });
    const id = String(created.json.id);
    const replaced = await call(server.api, 'PUT', `/api/v1/targets/${id}`, {
      config: {
        ...applianceConfig(),
        password: 'a-brand-new-password',
        partitions: [
          { name: 'Common', key_passphrase: REDACTED },
          { name: 'DMZ', key_passphrase: REDACTED },
        ],
      },
    });
    expect(replaced.status).toBe(400);
    expect(replaced.json).toMatchObject({ error: 'invalid_config' });
    expect(String(replaced.json.message)).toContain('partitions.1.key_passphrase');

    const ok = await call(server.api, 'PUT', `/api/v1/targets/${id}`, {
      config: {
        ...applianceConfig(),
        password: 'a-brand-new-password',
        partitions: [{ name: 'Common', key_passphrase: REDACTED }],
      },
    });
    expect(ok.status, ok.body).toBe(200);
    expect(decryptedTargetConfig(server.deps, await rawTarget(id))).toMatchObject({
      password: 'a-brand-new-password',
      partitions: [{ name: 'Common', key_passphrase: PASSPHRASE }],
    });

    const copied = await createTarget({
      type: 'appliance',
      agent_id: agentA.id,
      config: { ...applianceConfig(), password: REDACTED },
    });
    expect(copied.status).toBe(400);
    expect(String(copied.json.message)).toContain('password');
  });

  it('an invalid config is a 400 with the schema issues and changes nothing', async () => {
    const refused = await createTarget({
      type: 'appliance',
      agent_id: agentA.id,
      config: { host: '', password: 'short' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_config' });
    const paths = (refused.json.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['host', 'password', 'username']);
    expect(refused.body).not.toContain('short');

    const created = await createTarget({ type: 'appliance', agent_id: agentA.id, config: applianceConfig() });
    const id = String(created.json.id);
    const before = await rawTarget(id);
    const bad = await call(server.api, 'PUT', `/api/v1/targets/${id}`, {
      name: 'renamed-by-a-bad-update',
      config: { ...applianceConfig(), unknown_field: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.details).toEqual([{ path: '', message: 'unknown key(s): unknown_field' }]);
    expect(await rawTarget(id)).toEqual(before);
  });

  it("uses the schema the target's agent reported when the server lacks the connector", async () => {
    const refused = await createTarget({
      type: 'cloud-vault',
      agent_id: agentA.id,
      config: { vault_url: 'https://kv.example.net', client_secret: 7, extra: 1 },
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_config' });
    expect(String(refused.json.message)).toContain(`agent ${agentA.id}`);
    const issues = Object.fromEntries(
      (refused.json.details as { path: string; message: string }[]).map((d) => [d.path, d.message]),
    );
    expect(issues).toMatchObject({
      tenant_id: 'required',
      client_secret: 'must be string',
      '': 'unknown key(s): extra',
    });

    const created = await createTarget({
      type: 'cloud-vault',
      agent_id: agentA.id,
      config: {
        vault_url: 'https://kv.example.net',
        tenant_id: 't-1',
        client_secret: CLIENT_SECRET,
        tags: { env: TAG_SECRET },
      },
    });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({
      config_schema_source: 'agent',
      config: { tenant_id: 't-1', client_secret: REDACTED, tags: { env: REDACTED } },
    });
    const row = await rawTarget(String(created.json.id));
    expect(JSON.stringify(row.config)).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(row.config)).not.toContain(TAG_SECRET);
    // jsonb keeps no key order, so neither does a schema read back from it.
    expect([...row.configSecretPaths].sort()).toEqual([['client_secret'], ['tags', '*']]);

    // The same type on an agent that did not report it: nothing to check against, stored as given.
    const unchecked = await createTarget({ type: 'cloud-vault', agent_id: agentB.id, config: { anything: 'goes' } });
    expect(unchecked.status).toBe(201);
    expect(unchecked.json).toMatchObject({ config_schema_source: 'none', config: { anything: 'goes' } });
  });

  it('keeps secrets encrypted when a target moves to an agent with no schema for its type', async () => {
    const created = await createTarget({
      type: 'cloud-vault',
      agent_id: agentA.id,
      config: { vault_url: 'https://kv.example.net', tenant_id: 't-2', client_secret: CLIENT_SECRET },
    });
    const id = String(created.json.id);
    const moved = await call(server.api, 'PUT', `/api/v1/targets/${id}`, { agent_id: agentB.id });
    expect(moved.status, moved.body).toBe(200);
    expect(moved.json).toMatchObject({ config_schema_source: 'none', config: { client_secret: REDACTED } });
    expect(JSON.stringify((await rawTarget(id)).config)).not.toContain(CLIENT_SECRET);
  });

  it('hands the decrypted config only to the agent that owns the target, in its deployment work', async () => {
    const target = await createTarget({ type: 'appliance', agent_id: agentA.id, config: applianceConfig() });
    const body = certificateBody(basics, { target_ids: [target.json.id] });
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(certificate.status, certificate.body).toBe(201);
    await server.runner.runOnce();

    const otherWork = await call(server.api, 'GET', `/api/v1/agents/${agentB.id}/work`, undefined, agentB.key);
    expect(otherWork.status).toBe(200);
    expect(otherWork.body).not.toContain(PASSWORD);
    const stolen = await call(server.api, 'GET', `/api/v1/agents/${agentA.id}/work`, undefined, agentB.key);
    expect(stolen.status).toBe(403);
    expect(stolen.body).not.toContain(PASSWORD);

    const work = await call(server.api, 'GET', `/api/v1/agents/${agentA.id}/work`, undefined, agentA.key);
    expect(work.status).toBe(200);
    const jobs = work.json.jobs as { type: string; target_id?: string; target_config?: Record<string, unknown> }[];
    const deployment = jobs.find((j) => j.type === 'deployment' && j.target_id === target.json.id);
    expect(deployment?.target_config).toEqual(applianceConfig());
  });

  it('a job queued for an agent the target has since left carries no config', async () => {
    const target = await createTarget({ type: 'appliance', agent_id: agentA.id, config: applianceConfig() });
    const body = certificateBody(basics, { target_ids: [target.json.id] });
    await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    await server.runner.runOnce();
    await call(server.api, 'PUT', `/api/v1/targets/${target.json.id}`, { agent_id: agentB.id });
    const work = await call(server.api, 'GET', `/api/v1/agents/${agentA.id}/work`, undefined, agentA.key);
    const deployment = (work.json.jobs as { target_id?: string; target_config?: unknown }[]).find(
      (j) => j.target_id === target.json.id,
    );
    expect(deployment).toBeDefined();
    expect(deployment?.target_config).toBeUndefined();
    expect(work.body).not.toContain(PASSWORD);
  });

  it('bounds agent-reported schemas: patterns dropped, patternProperties refused, unchanged reports not rewritten', async () => {
    const agent = await registerAgent('agent-schemas');
    const evil = {
      type: 'object',
      properties: { name: { type: 'string', pattern: '^(a+)+$' }, token: { type: 'string', 'x-certctl-secret': true } },
      required: ['name'],
    };
    const report = (types: unknown[]) =>
      call(server.api, 'POST', `/api/v1/agents/${agent.id}/heartbeat`, { target_types: types }, agent.key);
    const first = await report([
      { type: 'regex-target', config_schema: evil },
      { type: 'pattern-props', config_schema: { type: 'object', patternProperties: { '^x-': { type: 'string' } } } },
      { type: 'remote-ref', config_schema: { $ref: 'https://example.com/schema.json' } },
    ]);
    expect(first.status, first.body).toBe(200);
    expect((first.json.rejected_target_types as { type: string }[]).map((r) => r.type).sort()).toEqual([
      'pattern-props',
      'remote-ref',
    ]);
    const rows = await server.deps.db
      .selectFrom('agentTargetTypes')
      .selectAll()
      .where('agentId', '=', agent.id)
      .execute();
    expect(rows.map((r) => r.type)).toEqual(['regex-target']);
    expect(JSON.stringify(rows[0]?.configSchema)).not.toContain('pattern');

    // A catastrophic-backtracking input is not matched against the agent's regex on the server.
    const started = Date.now();
    const created = await createTarget({
      type: 'regex-target',
      agent_id: agent.id,
      config: { name: `${'a'.repeat(40)}!`, token: 'tok-secret-value' },
    });
    expect(created.status, created.body).toBe(201);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(created.json.config).toMatchObject({ token: REDACTED });

    const again = await report([{ type: 'regex-target', config_schema: evil }]);
    expect(again.status).toBe(200);
    expect(again.json).not.toHaveProperty('rejected_target_types');
    const after = await server.deps.db
      .selectFrom('agentTargetTypes')
      .selectAll()
      .where('agentId', '=', agent.id)
      .execute();
    expect(after).toHaveLength(1);
    expect(after[0]?.reportedAt).toEqual(rows[0]?.reportedAt);

    // A heartbeat without the field keeps what was reported; an empty list forgets it.
    await call(server.api, 'POST', `/api/v1/agents/${agent.id}/heartbeat`, {}, agent.key);
    expect(
      await server.deps.db.selectFrom('agentTargetTypes').selectAll().where('agentId', '=', agent.id).execute(),
    ).toHaveLength(1);
    await report([]);
    expect(
      await server.deps.db.selectFrom('agentTargetTypes').selectAll().where('agentId', '=', agent.id).execute(),
    ).toHaveLength(0);
  });

  it('refuses a malformed target type report with 400 naming target_types', async () => {
    const r = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agentB.id}/heartbeat`,
      { target_types: [{ type: 'Not Kebab', config_schema: {} }] },
      agentB.key,
    );
    expect(r.status).toBe(400);
    expect(r.body).toContain('target_types');
  });

  it('no log line of all the above carries a secret value', () => {
    expect(logged.length).toBeGreaterThan(10);
    const all = logged.join('');
    for (const value of [PASSWORD, PASSPHRASE, CLIENT_SECRET, TAG_SECRET, 'a-brand-new-password', 'tok-secret-value'])
      expect(all).not.toContain(value);
  });
});
