import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describeEachDialect('job runner', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api, { max_retries: 3, retry_interval_seconds: 1 });
  });
  afterAll(() => server?.stop());

  async function queued() {
    const body = certificateBody(basics);
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    return { id: String(created.json.id), jobId: String((created.json.job as { id: string }).id) };
  }
  const job = async (id: string) => (await call(server.api, 'GET', `/api/v1/jobs/${id}`)).json;
  const makeDue = (id: string) =>
    server.deps.db
      .updateTable('jobs')
      .set({ nextRunAt: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();

  it('retries a retryable CA error with backoff, bounded by max attempts', async () => {
    const { id, jobId } = await queued();
    ca.control.failNext = 5;
    const before = Date.now();
    await server.runner.runOnce();
    let state = await job(jobId);
    expect(state).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('CA busy') });
    // Full jitter may draw a delay of a few milliseconds: the retry is scheduled from the failure, not before it.
    expect(new Date(String(state.next_run_at)).getTime()).toBeGreaterThanOrEqual(before);
    for (let i = 0; i < 3; i++) {
      await makeDue(jobId);
      await server.runner.runOnce();
    }
    state = await job(jobId);
    expect(state).toMatchObject({ status: 'failed', attempts: 3 });
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('failed');
    ca.control.failNext = 0;
  });

  it('waits at least the Retry-After a rate-limited CA asked for, however small the backoff drew', async () => {
    const { jobId } = await queued();
    ca.control.failNext = 1;
    ca.control.failRetryAfterSeconds = 600;
    try {
      const before = Date.now();
      await server.runner.runOnce();
      const state = await job(jobId);
      expect(state).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_error: expect.stringContaining('rate limit'),
      });
      // The policy's backoff alone would retry within 1 s (retry_interval_seconds: 1).
      expect(new Date(String(state.next_run_at)).getTime()).toBeGreaterThanOrEqual(before + 600_000);
      await makeDue(jobId);
      await server.runner.runOnce();
      expect((await job(jobId)).status).toBe('succeeded');
    } finally {
      ca.control.failNext = 0;
      ca.control.failRetryAfterSeconds = undefined;
    }
  });

  it('follows a pending CA order through getOrder until it is issued', async () => {
    ca.control.pendingPolls = 2;
    const { id, jobId } = await queued();
    await server.runner.runOnce();
    expect(await job(jobId)).toMatchObject({ status: 'waiting_on_ca', ca_order_id: `order-${jobId}` });
    const caOrder = async () => (await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.ca_order;
    expect(await caOrder()).toMatchObject({ order_id: `order-${jobId}`, checks: 1 });
    await makeDue(jobId);
    await server.runner.runOnce();
    expect((await job(jobId)).status).toBe('waiting_on_ca');
    // The CA said the same again: the next check is one step further out (never sooner than its 1 s).
    expect(await caOrder()).toMatchObject({ checks: 2 });
    await makeDue(jobId);
    await server.runner.runOnce();
    expect(await job(jobId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`);
    expect(versions.json.data![0]!.ca_order_id).toBe(`order-${jobId}`);
    ca.control.pendingPolls = 0;
  });

  it('resumes a job whose replica died mid-run once its lease expires, and stores one version', async () => {
    const { id, jobId } = await queued();
    // A replica claimed the job and crashed: the row says running, leased to a process that is gone.
    await server.deps.db
      .updateTable('jobs')
      .set({
        status: 'running',
        leaseOwner: 'replica-dead',
        leaseExpiresAt: new Date(Date.now() + 60_000),
        attempts: 1,
      })
      .where('id', '=', jobId)
      .execute();
    await server.runner.runOnce();
    expect((await job(jobId)).status).toBe('running');
    await server.deps.db
      .updateTable('jobs')
      .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', jobId)
      .execute();
    await server.runner.runOnce();
    expect(await job(jobId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.total).toBe(1);
  });

  it('drops the result of a job whose lease was taken over meanwhile', async () => {
    const { id, jobId } = await queued();
    ca.control.issueDelayMs = 300;
    const run = server.runner.runOnce();
    await new Promise((r) => setTimeout(r, 100));
    await server.deps.db.updateTable('jobs').set({ leaseOwner: 'replica-other' }).where('id', '=', jobId).execute();
    await run;
    ca.control.issueDelayMs = 0;
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.total).toBe(0);
    expect((await job(jobId)).status).toBe('running');
  });
});
