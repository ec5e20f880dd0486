import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';
import { FAILED_RENEWAL_PAUSE_MS, reapTimeouts, refreshExpiryStatuses, runRenewalCheck } from './maintenance.js';

const DAY = 86_400_000;

describeEachDialect('scheduled maintenance: renewal window, renewal info, expiry, timeouts', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api, { renewal_window_days: 30 });
  });
  afterAll(() => server?.stop());

  async function issued(extra: Record<string, unknown> = {}) {
    const body = certificateBody(basics, extra);
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    await server.runner.runOnce();
    return String(created.json.id);
  }
  const openRenewals = async (id: string) =>
    (await call(server.api, 'GET', `/api/v1/jobs?certificate_id=${id}&type=renewal`)).json.data!;

  it("renews only inside the policy's window, reusing the last CSR", async () => {
    const id = await issued();
    // The test CA issues for 90 days: 30-day window starts 60 days from now.
    await runRenewalCheck(server.deps, new Date(Date.now() + 50 * DAY));
    expect(await openRenewals(id)).toHaveLength(0);
    await runRenewalCheck(server.deps, new Date(Date.now() + 65 * DAY));
    const jobs = await openRenewals(id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ trigger: 'scheduled', has_csr: true, requested_by: 'system' });
    await server.runner.runOnce();
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`);
    expect(versions.json.total).toBe(2);
    const replaced = ca.control.issued.at(-1)!;
    expect(replaced.replacesCertificatePem).toContain('BEGIN CERTIFICATE');
  });

  it("waits for the CA's renewal-info window when the issuer offers one", async () => {
    const id = await issued();
    ca.control.renewalWindowStart = new Date(Date.now() + 80 * DAY);
    const early = await runRenewalCheck(server.deps, new Date(Date.now() + 65 * DAY));
    expect(early.skippedByRenewalInfo).toBeGreaterThanOrEqual(1);
    expect(await openRenewals(id)).toHaveLength(0);
    await runRenewalCheck(server.deps, new Date(Date.now() + 81 * DAY));
    expect((await openRenewals(id))[0]).toMatchObject({ trigger: 'ari' });
    ca.control.renewalWindowStart = undefined;
    await server.runner.runOnce();
  });

  it('queues a renewal that failed for good again once the retry pause has passed (the CA came back)', async () => {
    const id = await issued();
    const at = new Date(Date.now() + 65 * DAY);
    // A renewal whose retries ran out during an outage left the certificate failed.
    await server.deps.db.updateTable('certificates').set({ status: 'failed' }).where('id', '=', id).execute();
    await server.deps.db
      .insertInto('jobs')
      .values({
        id: `job-failed-${id}`,
        type: 'renewal',
        certificateId: id,
        status: 'failed',
        requestedBy: 'system',
        trigger: 'scheduled',
        lastError: 'CA unavailable',
        completedAt: new Date(at.getTime() - FAILED_RENEWAL_PAUSE_MS / 2),
      })
      .execute();
    const pending = async () => (await openRenewals(id)).filter((job) => job.status === 'pending');
    await runRenewalCheck(server.deps, at);
    expect(await pending()).toHaveLength(0);
    await runRenewalCheck(server.deps, new Date(at.getTime() + FAILED_RENEWAL_PAUSE_MS));
    expect(await pending()).toMatchObject([{ trigger: 'scheduled', status: 'pending' }]);
    await server.runner.runOnce();
    const certificate = await call(server.api, 'GET', `/api/v1/certificates/${id}`);
    expect(certificate.json.status).toBe('active');
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.total).toBe(2);
  });

  it('does not renew when auto_renew is off', async () => {
    const manual = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `manual-${ctx.dialect}`,
      auto_renew: false,
    });
    const id = await issued({ renewal_policy_id: manual.json.id });
    await runRenewalCheck(server.deps, new Date(Date.now() + 89 * DAY));
    expect(await openRenewals(id)).toHaveLength(0);
  });

  it('moves certificates to expiring and expired as time passes', async () => {
    const id = await issued({ renewal_policy_id: basics.policyId });
    await refreshExpiryStatuses(server.deps, new Date(Date.now() + 70 * DAY));
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('expiring');
    await refreshExpiryStatuses(server.deps, new Date(Date.now() + 91 * DAY));
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('expired');
    const audit = await call(
      server.api,
      'GET',
      `/api/v1/audit?action=certificate_expired&actor=system&resource_id=${id}`,
    );
    expect(audit.json.total).toBe(1);
  });

  it('cancels approvals and fails CSR waits that time out, and marks silent agents offline', async () => {
    const profile = await call(server.api, 'POST', '/api/v1/profiles', {
      name: `gate-${ctx.dialect}`,
      requires_approval: true,
    });
    const body = certificateBody(basics, { profile_id: profile.json.id });
    const created = await call(
      server.api,
      'POST',
      '/api/v1/certificates',
      { ...body, csr_pem: await makeCsr(String(body.common_name)) },
      KEYS.alice,
    );
    const jobId = String((created.json.job as { id: string }).id);
    const agent = await call(server.api, 'POST', '/api/v1/agents', { name: `agent-${ctx.dialect}` });
    await call(server.api, 'POST', `/api/v1/agents/${agent.json.id}/heartbeat`, {}, String(agent.json.api_key));
    const waiting = await call(
      server.api,
      'POST',
      '/api/v1/certificates',
      certificateBody(basics, { agent_id: agent.json.id }),
    );
    const csrJob = String((waiting.json.job as { id: string }).id);
    const result = await reapTimeouts(server.deps, new Date(Date.now() + 200 * 3_600_000));
    expect(result).toMatchObject({ agents: 1 });
    expect((await call(server.api, 'GET', `/api/v1/jobs/${jobId}`)).json.status).toBe('cancelled');
    expect((await call(server.api, 'GET', `/api/v1/jobs/${csrJob}`)).json.status).toBe('failed');
    const approvals = await call(server.api, 'GET', '/api/v1/approvals?state=expired');
    expect(approvals.json.data!.map((a) => a.job_id)).toContain(jobId);
    expect((await call(server.api, 'GET', `/api/v1/agents/${agent.json.id}`)).json.status).toBe('offline');
    // An expired approval is never consent: approving now is refused.
    const late = approvals.json.data!.find((a) => a.job_id === jobId)!;
    expect((await call(server.api, 'POST', `/api/v1/approvals/${late.id}/approve`, {}, KEYS.bob)).status).toBe(409);
  });

  it('hands deployment jobs for its targets to the agent after issuance', async () => {
    const agent = await call(server.api, 'POST', '/api/v1/agents', { name: `deployer-${ctx.dialect}` });
    const agentKey = String(agent.json.api_key);
    const target = await call(server.api, 'POST', '/api/v1/targets', {
      name: `nginx-${ctx.dialect}`,
      type: 'nginx',
      agent_id: agent.json.id,
      config: { cert_path: '/etc/nginx/tls/app.pem' },
    });
    const id = await issued({ target_ids: [target.json.id] });
    const work = await call(server.api, 'GET', `/api/v1/agents/${agent.json.id}/work`, undefined, agentKey);
    const items = work.json.jobs as {
      job_id: string;
      type: string;
      target_type: string;
      target_config: Record<string, unknown>;
      certificate_id: string;
    }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      type: 'deployment',
      target_type: 'nginx',
      certificate_id: id,
      target_config: { cert_path: '/etc/nginx/tls/app.pem' },
    });
    // Claimed: a second poll does not hand it out again.
    expect(
      (await call(server.api, 'GET', `/api/v1/agents/${agent.json.id}/work`, undefined, agentKey)).json.count,
    ).toBe(0);
    const done = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agent.json.id}/jobs/${items[0]!.job_id}/status`,
      { status: 'succeeded' },
      agentKey,
    );
    expect(done.json.status).toBe('succeeded');
  });
});
