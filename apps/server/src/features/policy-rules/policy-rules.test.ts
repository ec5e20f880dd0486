import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { explain, run } from '../acme/test-support/acme-client-harness.js';
import { evaluateInventory } from './policy-enforcement.js';

/**
 * THE policy test: one enforcing rule (no RSA below 3072 bits) refuses an agent's RSA-2048 CSR and
 * an ACME order lego finalizes with an RSA-2048 key, with the same reason on both paths; each
 * violation is listed once, audited, and alerted once however often it is retried.
 */
describeEachDialect('policy rules', (ctx) => {
  let server: TestServer;
  let work: string;
  let caFile: string;
  const domain = `rsa-${ctx.dialect}.example.test`;

  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      env: {
        // The webhook receiver listens on loopback: allowed by the operator setting.
        CERTCTL_NETWORK_ALLOW: '127.0.0.1',
        CERTCTL_ACME_SERVER_ENABLED: 'true',
        CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'internal',
        CERTCTL_ACME_SERVER_TEAM_ID: 't-policy',
        CERTCTL_ACME_SERVER_OWNER_ID: 'o-policy',
        CERTCTL_ACME_SERVER_RENEWAL_POLICY_ID: 'rp-policy',
      },
    });
    work = mkdtempSync(join(tmpdir(), 'certctl-policy-rules-'));
    caFile = join(work, 'ca.pem');
    writeFileSync(caFile, server.tls.caPem ?? '');
    const fixtures: [string, Record<string, unknown>][] = [
      ['/api/v1/teams', { id: 't-policy', name: 'policy team' }],
      ['/api/v1/owners', { id: 'o-policy', name: 'Sec', email: 'sec@example.com', team_id: 't-policy' }],
      [
        '/api/v1/renewal-policies',
        { id: 'rp-policy', name: 'routed', alert_channels: { warning: ['Webhook'], critical: ['Webhook'] } },
      ],
      ['/api/v1/profiles', { id: 'internal', name: 'internal' }],
      [
        '/api/v1/notifiers',
        {
          id: 'ntf-policy-hook',
          name: 'policy hook',
          type: 'webhook',
          config: { url: 'http://127.0.0.1:9/hook', allow_loopback: true },
        },
      ],
    ];
    for (const [path, body] of fixtures) {
      const created = await call(server.api, 'POST', path, body);
      if (created.status !== 201) throw new Error(`${path}: ${created.status} ${created.body}`);
    }
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const lego = (dir: string, keyType: string) => {
    mkdirSync(dir, { recursive: true });
    return run(
      'lego',
      [
        '--server',
        `${server.urls.api}/acme/profile/internal/directory`,
        '--accept-tos',
        '--email',
        'ops@example.test',
        '--path',
        dir,
        '--domains',
        domain,
        '--key-type',
        keyType,
        '--http',
        'run',
      ],
      { env: { LEGO_CA_CERTIFICATES: caFile }, cwd: dir },
    );
  };

  it('checks a rule config against its type and answers bad input with a 400 that changes nothing', async () => {
    const bad = await call(server.api, 'POST', '/api/v1/policies', {
      name: 'broken',
      type: 'key_algorithm',
      config: { allowed: [{ algorithm: 'DSA' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_request');
    expect(bad.json.message).toMatch(/key_algorithm/);
    const unknownType = await call(server.api, 'POST', '/api/v1/policies', { name: 'x', type: 'vibes' });
    expect(unknownType.status).toBe(400);
    expect((await call(server.api, 'GET', '/api/v1/policies')).json.total).toBe(0);
  });

  it('refuses an RSA-2048 key from an agent and from lego with the same reason, lists and alerts each violation once', async () => {
    const created = await call(server.api, 'POST', '/api/v1/policies', {
      name: 'no-small-rsa',
      type: 'key_algorithm',
      config: {
        allowed: [
          { algorithm: 'ECDSA', min_size: 256 },
          { algorithm: 'RSA', min_size: 3072 },
        ],
      },
      severity: 'error',
      enforcement: 'enforcing',
    });
    expect(created.status, created.body).toBe(201);
    const policyId = String(created.json.id);
    const reason =
      'refused by policy: policy "no-small-rsa" (key_algorithm): RSA key of 2048 bits is below the minimum of 3072';

    // The agent path: a certificate the agent keys, waiting for its CSR.
    const agent = await call(server.api, 'POST', '/api/v1/agents', { name: `web-${ctx.dialect}` });
    expect(agent.status, agent.body).toBe(201);
    const agentId = String(agent.json.id);
    const agentKey = String(agent.json.api_key);
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', {
      name: `agent-cert-${ctx.dialect}`,
      common_name: `web-${ctx.dialect}.example.test`,
      owner_id: 'o-policy',
      team_id: 't-policy',
      issuer_id: 'iss-local',
      renewal_policy_id: 'rp-policy',
      agent_id: agentId,
    });
    expect(certificate.status, certificate.body).toBe(201);
    const certificateId = String(certificate.json.id);
    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await call(
        server.api,
        'POST',
        `/api/v1/agents/${agentId}/csr`,
        {
          certificate_id: certificateId,
          csr_pem: await makeCsr(`web-${ctx.dialect}.example.test`, [], 'rsa-2048'),
        },
        agentKey,
      );
      expect(refused.status, refused.body).toBe(422);
      expect(refused.json.error).toBe('policy_violation');
      expect(refused.json.message).toBe(reason);
    }
    const job = await server.deps.db
      .selectFrom('jobs')
      .select(['status', 'csrPem'])
      .where('certificateId', '=', certificateId)
      .executeTakeFirstOrThrow();
    expect(job).toEqual({ status: 'awaiting_csr', csrPem: null });

    // The ACME path: lego finalizes with an RSA-2048 key, twice.
    for (let attempt = 0; attempt < 2; attempt++) {
      const dir = join(work, `lego-rsa-${attempt}`);
      const refused = await lego(dir, 'rsa2048');
      expect(refused.code, explain(refused)).not.toBe(0);
      expect(refused.stderr + refused.stdout, explain(refused)).toContain('urn:ietf:params:acme:error:badCSR');
      expect(refused.stderr + refused.stdout).toContain(reason);
    }
    expect(
      await server.deps.db.selectFrom('certificates').select('id').where('commonName', '=', domain).execute(),
    ).toEqual([]);

    const listed = await call(server.api, 'GET', `/api/v1/policies/${policyId}/violations`);
    expect(listed.status, listed.body).toBe(200);
    expect(listed.json.total).toBe(2);
    const byNames = new Map(listed.json.data!.map((v) => [(v.names as string[]).join(','), v]));
    expect(byNames.get(`web-${ctx.dialect}.example.test`)).toMatchObject({
      certificate_id: certificateId,
      source: 'csr_submitted',
      blocked: true,
      enforcement: 'enforcing',
      severity: 'error',
      status: 'open',
      occurrences: 2,
      message: 'policy "no-small-rsa" (key_algorithm): RSA key of 2048 bits is below the minimum of 3072',
    });
    expect(byNames.get(domain)).toMatchObject({ certificate_id: null, source: 'acme', blocked: true, occurrences: 2 });
    const everywhere = await call(server.api, 'GET', '/api/v1/policy-violations?status=open');
    expect(everywhere.json.total).toBe(2);

    const alerts = await server.deps.db
      .selectFrom('notificationOutbox')
      .select(['event', 'severity', 'certificateId', 'payload'])
      .where('event', '=', 'policy_violation')
      .execute();
    expect(alerts).toHaveLength(2);
    expect(alerts.every((a) => a.severity === 'critical')).toBe(true);
    expect(alerts.map((a) => a.certificateId).sort()).toEqual([certificateId, null].sort());
    const audit = await server.deps.db
      .selectFrom('auditEvents')
      .select('action')
      .where('action', 'in', ['policy_violation_detected', 'issuance_blocked_by_policy'])
      .execute();
    expect(audit.filter((a) => a.action === 'policy_violation_detected')).toHaveLength(2);
    expect(audit.filter((a) => a.action === 'issuance_blocked_by_policy')).toHaveLength(4);

    // What the rule allows still goes through on both paths.
    const accepted = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agentId}/csr`,
      { certificate_id: certificateId, csr_pem: await makeCsr(`web-${ctx.dialect}.example.test`) },
      agentKey,
    );
    expect(accepted.status, accepted.body).toBe(202);
    const issued = await lego(join(work, 'lego-ec'), 'ec256');
    expect(issued.code, explain(issued)).toBe(0);
    const agentViolation = await call(server.api, 'GET', `/api/v1/policy-violations?certificate_id=${certificateId}`);
    expect(agentViolation.json.data![0]).toMatchObject({ status: 'resolved' });
  }, 120_000);

  it('the scheduled evaluation reports advisory findings in the inventory once and resolves them when the rule goes', async () => {
    const advisory = await call(server.api, 'POST', '/api/v1/policies', {
      name: 'prod-only',
      type: 'allowed_environments',
      config: { environments: ['production'] },
      severity: 'warning',
    });
    expect(advisory.status, advisory.body).toBe(201);
    expect(advisory.json.enforcement).toBe('advisory');
    const first = await evaluateInventory(server.deps);
    expect(first.newlyDetected).toBeGreaterThanOrEqual(2);
    const second = await evaluateInventory(server.deps);
    expect(second.newlyDetected).toBe(0);
    const open = await call(server.api, 'GET', `/api/v1/policies/${advisory.json.id}/violations?status=open`);
    expect(open.json.total).toBe(first.newlyDetected);
    expect(open.json.data!.every((v) => v.source === 'inventory' && v.blocked === false)).toBe(true);
    const alerts = await server.deps.db
      .selectFrom('notificationOutbox')
      .select('id')
      .where('event', '=', 'policy_violation')
      .where('severity', '=', 'warning')
      .execute();
    // Only certificates routed to the webhook alert (the acme-server and agent certificates use rp-policy).
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.length).toBeLessThanOrEqual(first.newlyDetected);

    const disabled = await call(server.api, 'PUT', `/api/v1/policies/${advisory.json.id}`, { enabled: false });
    expect(disabled.status, disabled.body).toBe(200);
    await evaluateInventory(server.deps);
    const after = await call(server.api, 'GET', `/api/v1/policies/${advisory.json.id}/violations?status=open`);
    expect(after.json.total).toBe(0);
    expect((await call(server.api, 'DELETE', `/api/v1/policies/${advisory.json.id}`)).status).toBe(204);
    expect((await call(server.api, 'GET', `/api/v1/policies/${advisory.json.id}`)).status).toBe(404);
  });
});
