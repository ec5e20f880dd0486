import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';
import { runRenewalCheck } from '../issuance/maintenance.js';

describeEachDialect('two-person approval', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  let profileId: string;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api, { renewal_window_days: 365 });
    const profile = await call(server.api, 'POST', '/api/v1/profiles', {
      name: `approval-${ctx.dialect}`,
      requires_approval: true,
    });
    profileId = String(profile.json.id);
  });
  afterAll(() => server?.stop());

  async function requested(key: string = KEYS.alice) {
    const body = certificateBody(basics, { profile_id: profileId });
    const created = await call(
      server.api,
      'POST',
      '/api/v1/certificates',
      { ...body, csr_pem: await makeCsr(String(body.common_name)) },
      key,
    );
    expect(created.status).toBe(201);
    return { id: String(created.json.id), job: created.json.job as { id: string; status: string } };
  }

  it('parks issuance until someone other than the requester approves it', async () => {
    const issuedBefore = ca.control.issued.length;
    const { id, job } = await requested();
    expect(job.status).toBe('awaiting_approval');
    await server.runner.runOnce();
    expect(ca.control.issued.length).toBe(issuedBefore);
    const approvals = await call(server.api, 'GET', '/api/v1/approvals?state=pending');
    const approval = approvals.json.data!.find((a) => a.job_id === job.id)!;
    expect(approval.requested_by).toBe('alice');
    const self = await call(server.api, 'POST', `/api/v1/approvals/${approval.id}/approve`, {}, KEYS.alice);
    expect(self.status).toBe(403);
    expect(self.json.message).toMatch(/two-person/);
    const approved = await call(
      server.api,
      'POST',
      `/api/v1/approvals/${approval.id}/approve`,
      { note: 'ok' },
      KEYS.bob,
    );
    expect(approved.json).toMatchObject({ state: 'approved', decided_by: 'bob' });
    expect((await call(server.api, 'POST', `/api/v1/approvals/${approval.id}/approve`, {}, KEYS.admin)).status).toBe(
      409,
    );
    await server.runner.runOnce();
    expect(ca.control.issued.length).toBe(issuedBefore + 1);
    // Issued, and inside this policy's 365-day window at once.
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('expiring');
  });

  it('compares principals, not key names: a second key named "alice" may approve what the first requested, the first may not', async () => {
    const other = await call(server.api, 'POST', '/api/v1/api-keys', { name: 'alice', role: 'operator' }, KEYS.admin);
    expect(other.status, other.body).toBe(201);
    const otherAlice = String(other.json.key);
    const { job } = await requested(KEYS.alice);
    const pending = await call(server.api, 'GET', '/api/v1/approvals?state=pending');
    const approval = pending.json.data!.find((a) => a.job_id === job.id)!;
    expect(approval).toMatchObject({ requested_by: 'alice', requested_by_principal: 'env-key:alice' });
    const self = await call(server.api, 'POST', `/api/v1/approvals/${approval.id}/approve`, {}, KEYS.alice);
    expect(self.status).toBe(403);
    const approved = await call(server.api, 'POST', `/api/v1/approvals/${approval.id}/approve`, {}, otherAlice);
    expect(approved.status, approved.body).toBe(200);
    expect(approved.json).toMatchObject({
      state: 'approved',
      decided_by: 'alice',
      decided_by_principal: `api-key:${String(other.json.id)}`,
    });
    // And the other way round: the API key named "alice" cannot approve its own request.
    const second = await requested(otherAlice);
    const own = await call(server.api, 'POST', `/api/v1/jobs/${second.job.id}/approve`, {}, otherAlice);
    expect(own.status).toBe(403);
    expect((await call(server.api, 'POST', `/api/v1/jobs/${second.job.id}/approve`, {}, KEYS.alice)).status).toBe(200);
  });

  it('cancels the job on rejection (by job id too)', async () => {
    const { job } = await requested();
    const rejected = await call(server.api, 'POST', `/api/v1/jobs/${job.id}/reject`, { note: 'not needed' }, KEYS.bob);
    expect(rejected.json.state).toBe('rejected');
    expect((await call(server.api, 'GET', `/api/v1/jobs/${job.id}`)).json.status).toBe('cancelled');
  });

  it('holds manual and scheduled renewals for approval too', async () => {
    const { id, job } = await requested();
    await call(server.api, 'POST', `/api/v1/jobs/${job.id}/approve`, {}, KEYS.bob);
    await server.runner.runOnce();
    const issued = ca.control.issued.length;
    // The renewal window (365 days) covers the 90-day certificate: the scheduler wants to renew it.
    const result = await runRenewalCheck(server.deps);
    expect(result.queued).toBeGreaterThanOrEqual(1);
    const jobs = await call(server.api, 'GET', `/api/v1/jobs?certificate_id=${id}&type=renewal`);
    expect(jobs.json.data![0]).toMatchObject({
      status: 'awaiting_approval',
      requested_by: 'system',
      trigger: 'scheduled',
    });
    await server.runner.runOnce();
    expect(ca.control.issued.length).toBe(issued);
    // The system requested it, so any human may approve.
    const approved = await call(server.api, 'POST', `/api/v1/jobs/${jobs.json.data![0]!.id}/approve`, {}, KEYS.alice);
    expect(approved.status).toBe(200);
    await server.runner.runOnce();
    expect(ca.control.issued.length).toBe(issued + 1);
  });
});
