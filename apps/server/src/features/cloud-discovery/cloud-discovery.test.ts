import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSecretStoreCertificates,
  createTempDir,
  type FakeGcpSecretManager,
  fakeVendorNetwork,
  type SecretStoreCertificates,
  startFakeGcpSecretManager,
  type TempDir,
} from '@certctl/connector-testkit';
import gcpSmDiscovery from '@certctl/discovery-gcpsm';
import { certificateFingerprint } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('discovery sources run by the server', (ctx) => {
  let server: TestServer;
  let fake: FakeGcpSecretManager;
  let certs: SecretStoreCertificates;
  let dir: TempDir;
  let keyPath = '';

  beforeAll(async () => {
    certs = await createSecretStoreCertificates();
    fake = await startFakeGcpSecretManager({ projectId: 'shop-prod-42' });
    const labels = { type: 'certificate' };
    fake.addSecret('tls-web', { data: certs.leafKeyPem + certs.leafPem + certs.caPem, labels });
    fake.addSecret('tls-api', { data: certs.otherDer, labels });
    fake.addSecret('tls-password', { data: 'hunter2', labels });
    dir = await createTempDir('certctl-discovery-sources-');
    keyPath = join(dir.path, 'service-account.json');
    writeFileSync(keyPath, JSON.stringify(fake.serviceAccount), { mode: 0o600 });
    server = await startTestServer({
      database: ctx,
      connectors: [gcpSmDiscovery],
      connectorNetwork: fakeVendorNetwork({}),
      env: { CERTCTL_DISCOVERY_SOURCE_RUNS_KEPT: '3' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await dir?.remove();
  });

  const cloudFindings = async () =>
    (await call(server.api, 'GET', '/api/v1/discovered-certificates?source=cloud')).json.data ?? [];

  it('runs a configured source on its interval and feeds its certificates into the triage, deduplicated', async () => {
    const types = await call(server.api, 'GET', '/api/v1/discovery-source-types');
    expect((types.json.data as { id: string }[]).map((t) => t.id)).toEqual(['gcpsm']);
    const created = await call(server.api, 'POST', '/api/v1/discovery-sources', {
      id: 'gcp-prod',
      name: 'GCP production',
      type: 'gcpsm',
      config: {
        project: fake.projectId,
        credentials: keyPath,
        endpoint: fake.url,
        name_prefix: 'tls-',
        pkcs12_password: 'secret-pkcs12-password',
      },
      scan_interval_minutes: 60,
    });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({ scan_interval_minutes: 60, last_scan_at: null });
    expect((created.json.config as Record<string, unknown>).pkcs12_password).toBe('[redacted]');
    const stored = await server.deps.db
      .selectFrom('discoverySources')
      .select('config')
      .where('id', '=', 'gcp-prod')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.config)).not.toContain('secret-pkcs12-password');

    await server.scheduler.runLoop('discoverySources');
    const source = await call(server.api, 'GET', '/api/v1/discovery-sources/gcp-prod');
    // The PEM bundle holds the leaf and its CA: both are reported (the key is never read into triage).
    expect(source.json).toMatchObject({ last_scan_status: 'succeeded', last_scan_found: 3, last_scan_created: 3 });
    const findings = await cloudFindings();
    expect(findings.map((f) => [f.source_path, f.fingerprint_sha256, f.agent_id, f.status]).sort()).toEqual(
      [
        ['gcp-sm://shop-prod-42/tls-api', certificateFingerprint(certs.otherDer).hex, null, 'unmanaged'],
        ['gcp-sm://shop-prod-42/tls-web', certificateFingerprint(certs.leafPem).hex, null, 'unmanaged'],
        ['gcp-sm://shop-prod-42/tls-web', certificateFingerprint(certs.caPem).hex, null, 'unmanaged'],
      ].sort(),
    );
    // Not due again for an hour; a scan now refreshes without duplicating.
    await server.scheduler.runLoop('discoverySources');
    const again = await call(server.api, 'POST', '/api/v1/discovery-sources/gcp-prod/scan', undefined, KEYS.alice);
    expect(again.json).toMatchObject({ status: 'succeeded', found: 3, created: 0, error: null });
    expect(await cloudFindings()).toHaveLength(3);
    const metrics = (await call(server.api, 'GET', '/metrics')).body;
    expect(metrics).toContain('certctl_discovery_source_scans_total{type="gcpsm",status="succeeded"} 2');
  });

  it('keeps every run (start, end, found, new, errors), newest first, pruned to the newest CERTCTL_DISCOVERY_SOURCE_RUNS_KEPT', async () => {
    const runs = async () => (await call(server.api, 'GET', '/api/v1/discovery-sources/gcp-prod/runs')).json;
    const two = await runs();
    expect(two.total).toBe(2);
    expect(two.data?.map((r) => [r.trigger, r.status, r.found, r.new_certificates])).toEqual([
      ['manual', 'succeeded', 3, 0],
      ['schedule', 'succeeded', 3, 3],
    ]);
    const first = two.data?.[1] as Record<string, unknown>;
    expect(first).toMatchObject({ source_id: 'gcp-prod', errors: [], error: null });
    expect(Date.parse(String(first.finished_at))).toBeGreaterThanOrEqual(Date.parse(String(first.started_at)));
    expect(first.duration_ms).toEqual(expect.any(Number));

    const scanned = await call(server.api, 'POST', '/api/v1/discovery-sources/gcp-prod/scan');
    const third = await runs();
    expect(third.data?.[0]).toMatchObject({ id: scanned.json.run_id, trigger: 'manual', found: 3 });
    expect(third.total).toBe(3);
    await call(server.api, 'POST', '/api/v1/discovery-sources/gcp-prod/scan');
    const kept = await runs();
    expect(kept.total).toBe(3);
    expect(kept.data?.map((r) => r.trigger)).toEqual(['manual', 'manual', 'manual']);
    expect((await call(server.api, 'GET', '/api/v1/discovery-sources/nope/runs')).status).toBe(404);
  });

  it("records a failing source with the connector's message, and refuses bad configs and non-admins", async () => {
    const broken = await call(server.api, 'POST', '/api/v1/discovery-sources', {
      name: 'wrong project',
      type: 'gcpsm',
      config: { project: 'not-my-project-1', credentials: keyPath, endpoint: fake.url },
    });
    expect(broken.status, broken.body).toBe(201);
    const scan = await call(server.api, 'POST', `/api/v1/discovery-sources/${broken.json.id}/scan`);
    expect(scan.json.status).toBe('failed');
    expect(String(scan.json.error)).toMatch(/gcpsm/);
    expect((await call(server.api, 'GET', `/api/v1/discovery-sources/${broken.json.id}`)).json).toMatchObject({
      last_scan_status: 'failed',
    });
    const runs = await call(server.api, 'GET', `/api/v1/discovery-sources/${broken.json.id}/runs`);
    expect(runs.json.data).toEqual([
      expect.objectContaining({ status: 'failed', found: 0, error: scan.json.error, id: scan.json.run_id }),
    ]);
    const before = (await call(server.api, 'GET', '/api/v1/discovery-sources')).json.total;
    for (const [body, key] of [
      [{ name: 'x', type: 'gcpsm', config: { project: 'BAD PROJECT' } }, KEYS.admin],
      [{ name: 'y', type: 'not-installed', config: {} }, KEYS.admin],
      [{ name: 'z', type: 'gcpsm', config: { project: 'ok-project-1' } }, KEYS.alice],
    ] as const) {
      expect((await call(server.api, 'POST', '/api/v1/discovery-sources', body, key)).status).toBeGreaterThanOrEqual(
        400,
      );
    }
    expect((await call(server.api, 'GET', '/api/v1/discovery-sources')).json.total).toBe(before);
  });
});
