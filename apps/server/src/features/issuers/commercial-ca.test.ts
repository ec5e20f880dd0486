import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fakeVendorNetwork,
  type FakeDigicert,
  type FakeSectigo,
  type FakeSlack,
  startFakeDigicert,
  startFakeSectigo,
  startFakeSlack,
} from '@certctl/connector-testkit';
import digicertManifest from '@certctl/issuer-digicert';
import sectigoManifest from '@certctl/issuer-sectigo';
import slackNotifier from '@certctl/notifier-slack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Basics, call, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

/** What the test needs from each vendor's fake, behind one shape. */
interface Vendor {
  id: 'digicert' | 'sectigo';
  issuerId: string;
  domain: string;
  /** The product the existing orders were placed for, as the connector reports it. */
  product: string;
  issuingCaPem(): string;
  approve(orderId: string): Promise<unknown>;
  reject(orderId: string, reason: string): unknown;
  /** How the CA words a rejection in the failed job. */
  rejectionText(orderId: string, reason: string): string;
  /** Adds certificates the CA holds that certctl does not know yet. */
  seed(count: number): Promise<unknown>;
  /** Whether the CA recorded `orderId` as a renewal of `previous`. */
  renewalOf(orderId: string): string | undefined;
}

const POLL_MAX_WAIT_SECONDS = 7200;

describeEachDialect('commercial CAs (DigiCert, Sectigo) end to end on the server', (ctx) => {
  const testCa = createTestCa();
  const work = mkdtempSync(join(tmpdir(), 'certctl-commercial-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-commercial-data-'));
  let digicert: FakeDigicert;
  let sectigo: FakeSectigo;
  let slack: FakeSlack;
  let server: TestServer;
  let basics: Basics;
  const env = () => ({
    CERTCTL_DIGICERT_API_KEY: digicert.apiKey,
    CERTCTL_DIGICERT_ORG_ID: String(digicert.organizationId),
    CERTCTL_DIGICERT_BASE_URL: digicert.baseUrl,
    CERTCTL_DIGICERT_POLL_MAX_WAIT_SECONDS: String(POLL_MAX_WAIT_SECONDS),
    CERTCTL_DIGICERT_CA_BUNDLE_PATH: join(work, 'digicert-api-ca.pem'),
    CERTCTL_DIGICERT_ISSUE_WAIT_SECONDS: '0',
    CERTCTL_SECTIGO_CUSTOMER_URI: sectigo.customerUri,
    CERTCTL_SECTIGO_LOGIN: sectigo.login,
    CERTCTL_SECTIGO_PASSWORD: sectigo.password,
    CERTCTL_SECTIGO_ORG_ID: String(sectigo.orgId),
    CERTCTL_SECTIGO_CERT_TYPE: '423',
    CERTCTL_SECTIGO_BASE_URL: sectigo.baseUrl,
    CERTCTL_SECTIGO_POLL_MAX_WAIT_SECONDS: String(POLL_MAX_WAIT_SECONDS),
    CERTCTL_SECTIGO_CA_BUNDLE_PATH: join(work, 'sectigo-api-ca.pem'),
    CERTCTL_SECTIGO_ISSUE_WAIT_SECONDS: '0',
    CERTCTL_SLACK_WEBHOOK_URL: slack.webhookUrl,
  });
  const start = () =>
    startTestServer({
      database: ctx,
      dataDir,
      connectors: [testCa.manifest, digicertManifest, sectigoManifest, slackNotifier],
      connectorNetwork: fakeVendorNetwork(slack),
      env: env(),
    });

  beforeAll(async () => {
    digicert = await startFakeDigicert();
    sectigo = await startFakeSectigo({ collectDelay: 1 });
    slack = await startFakeSlack();
    writeFileSync(join(work, 'digicert-api-ca.pem'), digicert.caPem!);
    writeFileSync(join(work, 'sectigo-api-ca.pem'), sectigo.caPem!);
    // What the accounts held before certctl: twenty live certificates and two expired ones each.
    await digicert.seedExistingOrders(20, { domain: 'example.com' });
    await digicert.seedExistingOrders(2, { expired: true, domain: 'example.com' });
    await sectigo.seedExistingCertificates(20, { domain: 'example.org' });
    await sectigo.seedExistingCertificates(2, { expired: true, domain: 'example.org' });
    server = await start();
    // Failures alert on Slack (the testkit's fake), whatever their severity.
    basics = await createBasics(server.api, {
      alert_channels: { informational: ['Slack'], warning: ['Slack'], critical: ['Slack'] },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await digicert?.close();
    await sectigo?.close();
    await slack?.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const vendors: Vendor[] = [
    {
      id: 'digicert',
      issuerId: 'iss-digicert',
      domain: 'example.com',
      product: 'ssl_basic',
      issuingCaPem: () => digicert.issuingCa.certificatePem,
      approve: (id) => digicert.approve(id),
      seed: (count) => digicert.seedExistingOrders(count, { domain: 'example.com' }),
      reject: (id, reason) => digicert.reject(id, reason),
      rejectionText: (id, reason) => `DigiCert rejected order ${id}: ${reason}`,
      renewalOf: (id) => {
        const of = digicert.orders.get(Number(id))?.renewalOfOrderId;
        return of === undefined ? undefined : String(of);
      },
    },
    {
      id: 'sectigo',
      issuerId: 'iss-sectigo',
      domain: 'example.org',
      product: '423',
      issuingCaPem: () => sectigo.issuingCa.certificatePem,
      approve: (id) => sectigo.approve(id),
      seed: (count) => sectigo.seedExistingCertificates(count, { domain: 'example.org' }),
      reject: (id, reason) => sectigo.reject(id, reason),
      rejectionText: (id, reason) => `Sectigo rejected enrollment ${id}: ${reason}`,
      renewalOf: (id) => /renewal of sslId (\d+)/.exec(sectigo.certificates.get(Number(id))?.comments ?? '')?.[1],
    },
  ];

  const job = async (id: string) => (await call(server.api, 'GET', `/api/v1/jobs/${id}`)).json;
  const certificate = async (id: string) => (await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json;
  /** The scheduler's next pass, as if the job's wait had passed. */
  const nextPass = async (jobId: string) => {
    await server.deps.db
      .updateTable('jobs')
      .set({ nextRunAt: new Date(Date.now() - 1000) })
      .where('id', '=', jobId)
      .execute();
    await server.runner.runOnce();
  };
  const order = async (vendor: Vendor, label: string) => {
    const commonName = `${label}-${ctx.dialect}.${vendor.domain}`;
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      name: `${vendor.id}-${label}-${ctx.dialect}`,
      common_name: commonName,
      sans: [commonName],
      owner_id: basics.ownerId,
      team_id: basics.teamId,
      issuer_id: vendor.issuerId,
      renewal_policy_id: basics.policyId,
      csr_pem: await makeCsr(commonName, [commonName]),
    });
    expect(created.status, created.body).toBe(201);
    return { id: String(created.json.id), jobId: String((created.json.job as { id: string }).id) };
  };
  /** Alerts queued for a certificate (the outbox the notifiers are fed from). */
  const alerts = async (certificateId: string, event: string) =>
    server.deps.db
      .selectFrom('notificationOutbox')
      .select(['channel', 'event'])
      .where('certificateId', '=', certificateId)
      .where('event', '=', event)
      .execute();
  const importRun = (vendor: Vendor, body: Record<string, unknown>) =>
    call(server.api, 'POST', `/api/v1/issuers/${vendor.issuerId}/import`, body);

  it('documents the import route in OpenAPI and keeps it to admins and issuers that can list', async () => {
    const doc = JSON.parse((await server.api.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const operation = doc.paths['/api/v1/issuers/{id}/import']?.post;
    expect(operation).toMatchObject({ operationId: 'importIssuerCertificates' });
    const documented = JSON.stringify(operation);
    for (const field of ['dry_run', 'include_expired', 'products', 'domains', 'already_managed', 'order_id'])
      expect(documented).toContain(field);
    expect((await call(server.api, 'POST', '/api/v1/issuers/iss-digicert/import', {}, KEYS.alice)).status).toBe(403);
    expect((await call(server.api, 'POST', '/api/v1/issuers/iss-digicert/import', { dry_run: 'yes' })).status).toBe(
      400,
    );
    expect((await call(server.api, 'POST', '/api/v1/issuers/no-such-issuer/import', {})).status).toBe(404);
    // Seeded from the reference variables, secrets redacted on the API.
    const seeded = await call(server.api, 'GET', '/api/v1/issuers/iss-sectigo');
    expect(seeded.json.config).toMatchObject({ login: '[redacted]', password: '[redacted]', cert_type: 423 });
    expect(seeded.body).not.toContain(sectigo.password);
    const dc = await call(server.api, 'GET', '/api/v1/issuers/iss-digicert');
    expect(dc.json.config).toMatchObject({ api_key: '[redacted]', org_id: digicert.organizationId });
    expect(dc.body).not.toContain(digicert.apiKey);
    const unsupported = await call(server.api, 'POST', `/api/v1/issuers/${basics.issuerId}/import`, {});
    expect(unsupported.status).toBe(422);
    expect(unsupported.json.error).toBe('not_supported');
  });

  for (const vendor of vendors) {
    describe(vendor.id, () => {
      it('an order goes pending, survives a restart, and completes once the CA approves it', async () => {
        const { id, jobId } = await order(vendor, 'approved');
        await server.runner.runOnce();
        const waiting = await job(jobId);
        expect(waiting).toMatchObject({ status: 'waiting_on_ca', ca_order_id: expect.stringMatching(/^\d+$/) });
        // The connector's poll_max_wait_seconds bounds the wait, not the server-wide default.
        const deadline = new Date(String(waiting.ca_order_deadline)).getTime();
        expect(Math.abs(deadline - (Date.now() + POLL_MAX_WAIT_SECONDS * 1000))).toBeLessThan(120_000);
        await nextPass(jobId);
        expect((await job(jobId)).status).toBe('waiting_on_ca');

        await server.stop();
        server = await start();
        await vendor.approve(String(waiting.ca_order_id));
        await nextPass(jobId);
        if ((await job(jobId)).status === 'waiting_on_ca') await nextPass(jobId); // Sectigo: not collectable once
        expect(await job(jobId)).toMatchObject({ status: 'succeeded' });
        expect((await certificate(id)).status).toBe('active');
        const versions = await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`);
        expect(versions.json.data![0]).toMatchObject({ ca_order_id: waiting.ca_order_id });
        const pem = await call(server.api, 'GET', `/api/v1/certificates/${id}/export/pem`);
        const leaf = join(work, `${vendor.id}-${ctx.dialect}-leaf.pem`);
        const ca = join(work, `${vendor.id}-issuing-ca.pem`);
        writeFileSync(leaf, pem.body);
        writeFileSync(ca, vendor.issuingCaPem());
        expect(execFileSync('openssl', ['verify', '-CAfile', ca, leaf], { encoding: 'utf8' })).toMatch(/: OK/);
      });

      it("a rejected order ends failed with the CA's reason, audited and alerted", async () => {
        const { id, jobId } = await order(vendor, 'rejected');
        await server.runner.runOnce();
        const orderId = String((await job(jobId)).ca_order_id);
        const reason = 'Organization validation failed: the registration number does not match';
        vendor.reject(orderId, reason);
        await nextPass(jobId);
        expect(await job(jobId)).toMatchObject({
          status: 'failed',
          last_error: expect.stringContaining(vendor.rejectionText(orderId, reason)),
        });
        expect((await certificate(id)).status).toBe('failed');
        expect(await alerts(id, 'renewal_failed')).not.toHaveLength(0);
        const audit = await call(server.api, 'GET', `/api/v1/audit?action=issuance_job_failed&resource_id=${id}`);
        expect(audit.json.total).toBe(1);
      });

      it('an order still pending at poll_max_wait_seconds fails with a message that says what to do, and alerts', async () => {
        const { id, jobId } = await order(vendor, 'timeout');
        await server.runner.runOnce();
        await server.deps.db
          .updateTable('jobs')
          .set({ caOrderDeadline: new Date(Date.now() - 1000) })
          .where('id', '=', jobId)
          .execute();
        await nextPass(jobId);
        expect(await job(jobId)).toMatchObject({
          status: 'failed',
          last_error: expect.stringContaining("raise the issuer's poll_max_wait_seconds"),
        });
        expect((await certificate(id)).status).toBe('failed');
        expect(await alerts(id, 'renewal_failed')).not.toHaveLength(0);
      });

      it("imports the CA's existing certificates: dry run first, filters, twenty managed after two runs", async () => {
        const preview = await importRun(vendor, {});
        expect(preview.status, preview.body).toBe(200);
        expect(preview.json).toMatchObject({ dry_run: true, issuer_id: vendor.issuerId });
        expect((preview.json.imported as unknown[]).length).toBe(20);
        const reasons = (preview.json.skipped as { reason: string }[]).map((s) => s.reason).sort();
        expect(reasons).toEqual(['already_managed', 'expired', 'expired']);
        expect(
          (await call(server.api, 'GET', `/api/v1/certificates?issuer_id=${vendor.issuerId}&per_page=100`)).json.total,
        ).toBe(3);

        const withExpired = await importRun(vendor, { include_expired: true });
        expect((withExpired.json.imported as unknown[]).length).toBe(22);
        const otherDomain = await importRun(vendor, { domains: ['nowhere.example.net'] });
        expect((otherDomain.json.imported as unknown[]).length).toBe(0);
        expect(
          (otherDomain.json.skipped as { reason: string }[]).filter((s) => s.reason === 'domain_filtered'),
        ).toHaveLength(21); // the twenty and the live one certctl ordered; expired ones are skipped as expired first
        const ownDomain = await importRun(vendor, { domains: [vendor.domain], products: [vendor.product] });
        expect((ownDomain.json.imported as unknown[]).length).toBe(20);
        const otherProduct = await importRun(vendor, { products: ['no-such-product'] });
        expect((otherProduct.json.imported as unknown[]).length).toBe(0);

        const refused = await importRun(vendor, { dry_run: false });
        expect(refused.status).toBe(400);
        const assignment = {
          dry_run: false,
          owner_id: basics.ownerId,
          team_id: basics.teamId,
          renewal_policy_id: basics.policyId,
        };
        const first = await importRun(vendor, assignment);
        expect(first.status, first.body).toBe(200);
        expect((first.json.imported as unknown[]).length).toBe(20);
        const second = await importRun(vendor, assignment);
        expect((second.json.imported as unknown[]).length).toBe(0);
        expect(
          (second.json.skipped as { reason: string }[]).filter((s) => s.reason === 'already_managed'),
        ).toHaveLength(21);

        const managed = await server.deps.db
          .selectFrom('certificates')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('issuerId', '=', vendor.issuerId)
          .where('tags', '@>', JSON.stringify({ imported_from: vendor.issuerId }) as never)
          .executeTakeFirstOrThrow();
        expect(Number(managed.n)).toBe(20);
        const imported = first.json.imported as { certificate_id: string; order_id: string }[];
        const sample = await certificate(imported[0]!.certificate_id);
        expect(sample).toMatchObject({ status: 'active', issuer_id: vendor.issuerId });
        const versions = await call(server.api, 'GET', `/api/v1/certificates/${imported[0]!.certificate_id}/versions`);
        expect(versions.json.data![0]).toMatchObject({ ca_order_id: imported[0]!.order_id });
        const audit = await call(
          server.api,
          'GET',
          `/api/v1/audit?action=issuer_imported&resource_id=${vendor.issuerId}`,
        );
        expect(audit.json.total).toBe(2);
      });

      it('renewing an imported certificate re-orders it at the CA as a renewal of its order', async () => {
        const preview = await importRun(vendor, {});
        const managed = (preview.json.skipped as { reason: string; certificate_id?: string; order_id?: string }[]).find(
          (s) => s.reason === 'already_managed' && s.certificate_id && s.order_id,
        )!;
        const record = await certificate(managed.certificate_id!);
        const csr = await makeCsr(String(record.common_name), record.sans as string[]);
        const submitted = await call(server.api, 'POST', `/api/v1/certificates/${managed.certificate_id}/csr`, {
          csr_pem: csr,
        });
        expect(submitted.status, submitted.body).toBeLessThan(300);
        const jobId = String(submitted.json.id);
        expect(submitted.json.type).toBe('renewal');
        await server.runner.runOnce();
        const newOrder = String((await job(jobId)).ca_order_id);
        expect(newOrder).not.toBe(managed.order_id);
        expect(vendor.renewalOf(newOrder)).toBe(managed.order_id);
        await vendor.approve(newOrder);
        await nextPass(jobId);
        if ((await job(jobId)).status === 'waiting_on_ca') await nextPass(jobId);
        expect((await job(jobId)).status).toBe('succeeded');
        const versions = await call(server.api, 'GET', `/api/v1/certificates/${managed.certificate_id}/versions`);
        expect(versions.json.total).toBe(2);
      });

      it('two imports at once create each new certificate once', async () => {
        await vendor.seed(5);
        const assignment = {
          dry_run: false,
          owner_id: basics.ownerId,
          team_id: basics.teamId,
          renewal_policy_id: basics.policyId,
        };
        const runs = await Promise.all([importRun(vendor, assignment), importRun(vendor, assignment)]);
        for (const run of runs) expect(run.status, run.body).toBe(200);
        const counts = runs.map((run) => (run.json.imported as unknown[]).length).sort();
        expect(counts).toEqual([0, 5]);
      });
    });
  }
});
