import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../testing/api-fixtures.js';
import { createScratchPostgres, type ScratchPostgres } from '../testing/postgres-database.js';
import { createTestCa } from '../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { runRenewalCheck } from '../features/issuance/maintenance.js';
import { withLeaderLock } from './leader-lock.js';

describe('two server replicas on one PostgreSQL', () => {
  const ca = createTestCa();
  let scratch: ScratchPostgres;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    scratch = await createScratchPostgres();
    a = await startTestServer({ database: { url: scratch.url }, connectors: [ca.manifest], replicaId: 'replica-a' });
    b = await startTestServer({ database: { url: scratch.url }, connectors: [ca.manifest], replicaId: 'replica-b' });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await scratch?.drop();
  });

  it('never issues a certificate twice when both run the job queue at once', async () => {
    const basics = await createBasics(a.api, { renewal_window_days: 365 });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const body = certificateBody(basics);
      const created = await call(i % 2 ? a.api : b.api, 'POST', '/api/v1/certificates', {
        ...body,
        csr_pem: await makeCsr(String(body.common_name)),
      });
      expect(created.status).toBe(201);
      ids.push(String(created.json.id));
    }
    ca.control.issueDelayMs = 5;
    const before = ca.control.issued.length;
    const [ranA, ranB] = await Promise.all([
      a.runner.runOnce(),
      b.runner.runOnce(),
      a.runner.runOnce(),
      b.runner.runOnce(),
    ]);
    expect(ranA! + ranB!).toBeGreaterThanOrEqual(1);
    expect(ca.control.issued.length - before).toBe(40);
    const perCert = new Map<string, number>();
    for (const request of ca.control.issued.slice(before))
      perCert.set(request.metadata.certificate_id!, (perCert.get(request.metadata.certificate_id!) ?? 0) + 1);
    expect([...perCert.values()].every((n) => n === 1)).toBe(true);
    const versions = await a.deps.db
      .selectFrom('certificateVersions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('certificateId', 'in', ids)
      .executeTakeFirstOrThrow();
    expect(Number(versions.n)).toBe(40);

    // Both replicas run the renewal check at the same moment: each certificate gets one renewal job.
    const checks = await Promise.all([runRenewalCheck(a.deps), runRenewalCheck(b.deps)]);
    expect(checks[0].queued + checks[1].queued).toBe(40);
    await Promise.all([a.runner.runOnce(), b.runner.runOnce()]);
    expect(ca.control.issued.length - before).toBe(80);
    ca.control.issueDelayMs = 0;
    // 40 certificates issued and renewed across two replicas: a correctness check, not a timing one.
  }, 180_000);

  it('lets only one replica hold a loop at a time', async () => {
    let inside = 0;
    let maxInside = 0;
    const work = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setTimeout(r, 100));
      inside--;
    };
    const results = await Promise.all([withLeaderLock(a.deps, 42, work), withLeaderLock(b.deps, 42, work)]);
    expect(results.filter((r) => r.ran)).toHaveLength(1);
    expect(maxInside).toBe(1);
  });
});
