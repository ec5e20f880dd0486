import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../testing/api-fixtures.js';
import { createScratchPostgres, type ScratchPostgres } from '../testing/postgres-database.js';
import { createTestCa } from '../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = fileURLToPath(new URL('../testing/lease-holder.child.ts', import.meta.url));
const LEASE = '2s';
const ENCRYPTION_KEY = 'test-encryption-passphrase-0123456789';

// Two processes on one database: PostgreSQL only (PGlite is one process).
describe('a job held by a server killed with kill -9 [postgres]', () => {
  const ca = createTestCa();
  let scratch: ScratchPostgres;
  let survivor: TestServer;
  let holder: ChildProcess | undefined;
  beforeAll(async () => {
    scratch = await createScratchPostgres();
    survivor = await startTestServer({
      database: { url: scratch.url },
      connectors: [ca.manifest],
      replicaId: 'survivor',
      env: { CERTCTL_JOB_LEASE: LEASE, CERTCTL_CONFIG_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
  });
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await survivor?.stop();
    await scratch?.drop();
  });

  const jobRow = (id: string) =>
    survivor.deps.db
      .selectFrom('jobs')
      .select(['status', 'leaseOwner', 'leaseExpiresAt'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('is kept while its holder lives (heartbeat) and taken over by another instance soon after the kill', async () => {
    const basics = await createBasics(survivor.api);
    const body = certificateBody(basics);
    const created = await call(survivor.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(created.status, created.body).toBe(201);
    const jobId = String((created.json.job as { id: string }).id);

    const running = spawn(process.execPath, ['--conditions=@certctl/source', '--import', tsx, child], {
      env: {
        PATH: process.env.PATH ?? '',
        CERTCTL_DATABASE_URL: scratch.url,
        CERTCTL_JOB_LEASE: LEASE,
        CERTCTL_CONFIG_ENCRYPTION_KEY: ENCRYPTION_KEY,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    holder = running;
    await expect.poll(async () => (await jobRow(jobId)).leaseOwner, { timeout: 120_000, interval: 200 }).toBe('doomed');

    // Longer than three leases: without the heartbeat the survivor would take the job over here.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(await survivor.runner.runOnce()).toBe(0);
    const held = await jobRow(jobId);
    expect(held).toMatchObject({ status: 'running', leaseOwner: 'doomed' });
    expect(new Date(held.leaseExpiresAt!).getTime()).toBeGreaterThan(Date.now() - 1000);

    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
    holder = undefined;

    const issuedBefore = ca.control.issued.length;
    await expect
      .poll(
        async () => {
          await survivor.runner.runOnce();
          return (await jobRow(jobId)).status;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe('succeeded');
    expect(ca.control.issued.length).toBe(issuedBefore + 1);
    expect((await call(survivor.api, 'GET', `/api/v1/certificates/${String(created.json.id)}`)).json.status).toBe(
      'active',
    );
  });
});
