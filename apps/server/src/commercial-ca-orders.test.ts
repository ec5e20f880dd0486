/**
 * End to end with the commercial CA issuers against their vendor fakes: a certificate ordered through
 * the API waits on the CA while an Entrust administrator (or Atlas validation) takes its time, and
 * the job runner completes it without anyone acting on the certctl side; a declined order ends
 * failed with the CA's reason. Time is accelerated by making the waiting job due.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  type FakeEntrust,
  type FakeGlobalSign,
  startFakeEntrust,
  startFakeGlobalSign,
  type TempDir,
} from '@certctl/connector-testkit';
import entrust from '@certctl/issuer-entrust';
import globalsign from '@certctl/issuer-globalsign';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { createTestCa } from './testing/test-issuer.js';
import { startTestServer, type TestServer } from './testing/test-server.js';

describeEachDialect('commercial CA orders', (ctx) => {
  let server: TestServer;
  let basics: Basics;
  let dir: TempDir;
  let entrustFake: FakeEntrust;
  let atlasFake: FakeGlobalSign;
  let entrustIssuerId: string;
  let atlasIssuerId: string;
  let enterpriseIssuerId: string;

  beforeAll(async () => {
    dir = await createTempDir('certctl-commercial-ca-');
    entrustFake = await startFakeEntrust();
    atlasFake = await startFakeGlobalSign();
    const write = async (name: string, text: string) => {
      const path = join(dir.path, name);
      await writeFile(path, text, { mode: 0o600 });
      return path;
    };
    const entrustClient = await entrustFake.clientCredential('certctl-server');
    const atlasClient = await atlasFake.clientCredential('certctl-server');
    // The vendor fakes listen on loopback: the operator allows it, as for a CA behind a private endpoint.
    server = await startTestServer({
      database: ctx,
      connectors: [createTestCa().manifest, entrust, globalsign],
      env: { CERTCTL_NETWORK_ALLOW: '127.0.0.1' },
    });
    basics = await createBasics(server.api, { max_retries: 3, retry_interval_seconds: 1 });
    const created = await call(server.api, 'POST', '/api/v1/issuers', {
      name: `entrust-${ctx.dialect}`,
      type: 'entrust',
      config: {
        api_url: entrustFake.gatewayUrl,
        ca_id: entrustFake.caId,
        profile_id: entrustFake.profiles.approval,
        client_cert_path: await write('entrust.crt', entrustClient.certificatePem),
        client_key_path: await write('entrust.key', entrustClient.privateKeyPem),
        server_ca_path: await write('entrust-ca.pem', entrustFake.serverCaPem),
        poll_max_wait_seconds: 86_400,
      },
    });
    expect(created.status, created.body).toBe(201);
    entrustIssuerId = String(created.json.id);
    const enterprise = await call(server.api, 'POST', '/api/v1/issuers', {
      name: `entrust-enterprise-${ctx.dialect}`,
      type: 'entrust',
      config: {
        api_mode: 'enterprise',
        api_url: entrustFake.enterpriseUrl,
        username: entrustFake.username,
        api_key: entrustFake.apiKey,
        queue_for_approval: true,
        client_cert_path: await write('entrust-ecs.crt', entrustClient.certificatePem),
        client_key_path: await write('entrust-ecs.key', entrustClient.privateKeyPem),
        server_ca_path: await write('entrust-ecs-ca.pem', entrustFake.serverCaPem),
      },
    });
    expect(enterprise.status, enterprise.body).toBe(201);
    enterpriseIssuerId = String(enterprise.json.id);
    atlasFake.holdIssuance(true);
    const atlas = await call(server.api, 'POST', '/api/v1/issuers', {
      name: `atlas-${ctx.dialect}`,
      type: 'globalsign',
      config: {
        api_url: atlasFake.apiUrl,
        api_key: atlasFake.apiKey,
        api_secret: atlasFake.apiSecret,
        client_cert_path: await write('atlas.crt', atlasClient.certificatePem),
        client_key_path: await write('atlas.key', atlasClient.privateKeyPem),
        server_ca_path: await write('atlas-ca.pem', atlasFake.serverCaPem),
        issue_wait_seconds: 0,
      },
    });
    expect(atlas.status, atlas.body).toBe(201);
    atlasIssuerId = String(atlas.json.id);
  });
  afterAll(async () => {
    await server?.stop();
    await entrustFake?.close();
    await atlasFake?.close();
    await dir?.remove();
  });

  async function order(issuerId: string) {
    const body = certificateBody(basics, { issuer_id: issuerId });
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(created.status, created.body).toBe(201);
    return { id: String(created.json.id), jobId: String((created.json.job as { id: string }).id) };
  }
  const job = async (id: string) => (await call(server.api, 'GET', `/api/v1/jobs/${id}`)).json;
  const certificate = async (id: string) => (await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json;
  /** The CA's answer arrives "a while later": the waiting job becomes due now instead of in a minute. */
  const later = async (jobId: string) => {
    await server.deps.db
      .updateTable('jobs')
      .set({ nextRunAt: new Date(Date.now() - 1000) })
      .where('id', '=', jobId)
      .execute();
    await server.runner.runOnce();
  };

  it('Entrust CA Gateway: the order waits for the administrator, who approves it later; the server completes it', async () => {
    const { id, jobId } = await order(entrustIssuerId);
    await server.runner.runOnce();
    const waiting = await job(jobId);
    expect(waiting).toMatchObject({ status: 'waiting_on_ca' });
    const trackingId = String(waiting.ca_order_id);
    expect(entrustFake.pending().map((o) => o.trackingId)).toContain(trackingId);
    // The certificate shows the order open at the CA, in the record and in the list.
    const pending = await certificate(id);
    expect(pending.ca_order).toMatchObject({
      job_id: jobId,
      order_id: trackingId,
      job_status: 'waiting_on_ca',
      checks: 1,
    });
    const caOrder = pending.ca_order as { deadline: string; next_check_at: string };
    const deadline = Date.parse(caOrder.deadline);
    expect(deadline - Date.now()).toBeGreaterThan(86_000_000);
    expect(Date.parse(caOrder.next_check_at)).toBeGreaterThan(Date.now());
    const listed = await call(server.api, 'GET', `/api/v1/certificates?issuer_id=${entrustIssuerId}&per_page=100`);
    expect(listed.json.data!.find((c) => c.id === id)?.ca_order).toMatchObject({ order_id: trackingId });

    await later(jobId);
    expect((await job(jobId)).status).toBe('waiting_on_ca');
    // Still the same CA state: the next check backs off further.
    expect((await certificate(id)).ca_order).toMatchObject({ order_id: trackingId, checks: 2 });

    await entrustFake.approve(trackingId);
    await later(jobId);
    expect(await job(jobId)).toMatchObject({ status: 'succeeded' });
    expect(await certificate(id)).toMatchObject({ status: 'active', ca_order: null });
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`);
    expect(versions.json.data![0]!.ca_order_id).toBe(trackingId);
    expect(versions.json.data![0]!.serial).toBe(entrustFake.orders.get(trackingId)!.leaf!.serial);
  });

  it('Entrust CA Gateway: a declined order ends failed with the reason Entrust gives', async () => {
    const { id, jobId } = await order(entrustIssuerId);
    await server.runner.runOnce();
    const trackingId = String((await job(jobId)).ca_order_id);
    entrustFake.decline(trackingId, 'organization validation expired');
    await later(jobId);
    const failed = await job(jobId);
    expect(failed.status).toBe('failed');
    expect(String(failed.last_error)).toContain('organization validation expired');
    expect((await certificate(id)).status).toBe('failed');
  });

  it('Entrust enterprise API: an order queued for approval completes once approved, or fails with the decline reason', async () => {
    const approved = await order(enterpriseIssuerId);
    const declined = await order(enterpriseIssuerId);
    await server.runner.runOnce();
    const approvedId = String((await job(approved.jobId)).ca_order_id);
    const declinedId = String((await job(declined.jobId)).ca_order_id);
    expect(entrustFake.orders.get(approvedId)).toMatchObject({ state: 'PENDING', api: 'enterprise', ctLog: true });
    await entrustFake.approve(approvedId);
    entrustFake.decline(declinedId, 'the requester is not authorised for this organization');
    await later(approved.jobId);
    await later(declined.jobId);
    expect(await job(approved.jobId)).toMatchObject({ status: 'succeeded' });
    expect((await certificate(approved.id)).status).toBe('active');
    const failed = await job(declined.jobId);
    expect(failed.status).toBe('failed');
    expect(String(failed.last_error)).toContain('the requester is not authorised for this organization');
  });

  it('Entrust: a restart while the order waits on the administrator loses nothing', async () => {
    const { id, jobId } = await order(entrustIssuerId);
    await server.runner.runOnce();
    const trackingId = String((await job(jobId)).ca_order_id);
    const dataDir = server.dataDir;
    await server.stop();
    await entrustFake.approve(trackingId);
    server = await startTestServer({
      database: ctx,
      connectors: [createTestCa().manifest, entrust, globalsign],
      dataDir,
      env: { CERTCTL_NETWORK_ALLOW: '127.0.0.1' },
    });
    expect(await job(jobId)).toMatchObject({ status: 'waiting_on_ca', ca_order_id: trackingId });
    await later(jobId);
    expect(await job(jobId)).toMatchObject({ status: 'succeeded' });
    expect((await certificate(id)).status).toBe('active');
  });

  it('GlobalSign Atlas: the certificate waits on validation, then the server picks it up', async () => {
    const { id, jobId } = await order(atlasIssuerId);
    await server.runner.runOnce();
    const waiting = await job(jobId);
    expect(waiting).toMatchObject({ status: 'waiting_on_ca' });
    const serial = String(waiting.ca_order_id);
    await atlasFake.release(serial);
    await later(jobId);
    expect(await job(jobId)).toMatchObject({ status: 'succeeded' });
    expect((await certificate(id)).status).toBe('active');
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`);
    expect(versions.json.data![0]!.serial).toBe(serial);
  });

  it('GlobalSign Atlas: a request Atlas cannot validate ends failed with its description', async () => {
    const { jobId } = await order(atlasIssuerId);
    await server.runner.runOnce();
    const serial = String((await job(jobId)).ca_order_id);
    atlasFake.fail(serial, 'domain control validation failed');
    await later(jobId);
    const failed = await job(jobId);
    expect(failed.status).toBe('failed');
    expect(String(failed.last_error)).toContain('domain control validation failed');
  });
});
