import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrivatePostgres, startPrivatePostgres } from '@certctl/tooling/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../testing/api-fixtures.js';
import { type FaultServer, startFaultServer } from '../testing/fault-server.js';
import { readLedger, signedTwice } from '../testing/ledger-ca.js';

/*
 * The server's PostgreSQL stops (immediate shutdown: connections drop as when its host fails) while
 * clients keep calling, then starts again. The server keeps running, answers 503 with Retry-After
 * while the database is away (never 500, never a dropped connection), and finishes the work after.
 * A private cluster: the shared one is not ours to stop.
 */
describe('PostgreSQL restarted under load', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'certctl-pg-restart-'));
  let postgres: PrivatePostgres;
  let server: FaultServer;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    server = await startFaultServer({
      ledgerDir: join(tmp, 'ca'),
      env: {
        CERTCTL_DATABASE_URL: postgres.url,
        CERTCTL_DATA_DIR: join(tmp, 'data'),
        CERTCTL_JOB_LEASE: '2s',
        CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: '300ms',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.kill9();
    await postgres?.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while the database is down, never crashes, and resumes the work', async () => {
    const id = (answer: { json: Record<string, unknown> }) => String(answer.json.id);
    const issuer = id(await server.call('POST', '/api/v1/issuers', { name: 'ledger', type: 'ledger-ca', config: {} }));
    const team = id(await server.call('POST', '/api/v1/teams', { name: 'ops' }));
    const owner = id(
      await server.call('POST', '/api/v1/owners', { name: 'Ops', email: 'ops@example.com', team_id: team }),
    );
    const policy = id(await server.call('POST', '/api/v1/renewal-policies', { name: 'p', renewal_window_days: 10 }));
    const csrs = await Promise.all(Array.from({ length: 40 }, (_, i) => makeCsr(`load-${i}.example.com`)));

    // Clients: certificates created one after another, and reads, until told to stop.
    const answers: { status: number; retryAfter?: string; phase: string }[] = [];
    const created: string[] = [];
    let phase = 'up';
    let running = true;
    let next = 0;
    const client = async (write: boolean) => {
      while (running) {
        const answer = write
          ? await server.call('POST', '/api/v1/certificates', {
              name: `load-${next}`,
              common_name: `load-${next}.example.com`,
              owner_id: owner,
              team_id: team,
              issuer_id: issuer,
              renewal_policy_id: policy,
              csr_pem: csrs[next % csrs.length],
            })
          : await server.call('GET', '/api/v1/certificates?per_page=5');
        answers.push({ status: answer.status, retryAfter: answer.headers['retry-after'] as string, phase });
        if (write && answer.status === 201) {
          created.push(id(answer));
          next++;
        }
        if (next >= csrs.length) next = 0;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const clients = Promise.all([client(true), client(false), client(false)]);
    await expect.poll(() => created.length, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(3);

    phase = 'down';
    await postgres.stop();
    await expect
      .poll(() => answers.filter((a) => a.phase === 'down' && a.status === 503).length, {
        timeout: 30_000,
        interval: 100,
      })
      .toBeGreaterThanOrEqual(10);
    // Kubernetes takes the replica out of the load balancer; the process stays alive.
    expect((await server.call('GET', '/ready')).status).toBe(503);
    expect((await server.call('GET', '/health')).status).toBe(200);

    phase = 'restarting';
    await postgres.start();
    phase = 'back';
    await expect
      .poll(() => answers.filter((a) => a.phase === 'back' && a.status === 201).length, {
        timeout: 60_000,
        interval: 200,
      })
      .toBeGreaterThanOrEqual(3);
    running = false;
    await clients;

    // Every answer was a success or a clean 503 with Retry-After: no 500, and the process is the same one.
    const unexpected = answers.filter((a) => ![200, 201, 503].includes(a.status));
    expect(unexpected).toEqual([]);
    expect(answers.filter((a) => a.status === 503).every((a) => a.retryAfter === '5')).toBe(true);
    // (`phase` is when the answer came: none failed before the database went away.)
    expect(answers.filter((a) => a.phase === 'up' && a.status === 503)).toEqual([]);
    expect(server.process.exitCode).toBeNull();

    // The work resumes: every certificate created is issued once, no job is left behind.
    const jobs = async () => (await server.call('GET', '/api/v1/jobs?per_page=200')).json.data ?? [];
    await expect
      .poll(async () => (await jobs()).filter((j) => j.status !== 'succeeded').map((j) => j.status), {
        timeout: 60_000,
        interval: 500,
      })
      .toEqual([]);
    const jobCertificates = (await jobs()).map((j) => String(j.certificate_id));
    expect(new Set(jobCertificates).size, JSON.stringify({ jobCertificates, created })).toBe(created.length);
    expect(signedTwice(readLedger(join(tmp, 'ca')))).toEqual([]);
    const metrics = (await server.call('GET', '/metrics')).body;
    expect(Number(/^certctl_database_unavailable_total\{source="http"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  }, 180_000);
});
