import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../testing/api-fixtures.js';
import { armFaultPoints, type FaultServer, startFaultServer } from '../testing/fault-server.js';
import { readLedger, signedTwice } from '../testing/ledger-ca.js';
import { createScratchPostgres, type ScratchPostgres } from '../testing/postgres-database.js';

/*
 * Replicas on one PostgreSQL, one of them killed with SIGKILL while it holds issuance jobs and the
 * CRL loop's leadership (stopped at crash points, so the kill lands there): its jobs are taken over
 * and finished once, and another replica becomes the CRL loop's leader.
 */
for (const replicas of [2, 3]) {
  describe(`${replicas} replicas on PostgreSQL, one killed mid-run`, () => {
    const tmp = mkdtempSync(join(tmpdir(), `certctl-replicas-${replicas}-`));
    const ledgerDir = join(tmp, 'ca');
    let scratch: ScratchPostgres | undefined;
    const servers: FaultServer[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.kill9()));
      await scratch?.drop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('finishes every job once and moves the CRL loop to a survivor', async () => {
      scratch = await createScratchPostgres();
      const env = (name: string) => ({
        CERTCTL_DATABASE_URL: scratch!.url,
        CERTCTL_DATA_DIR: join(tmp, name),
        CERTCTL_JOB_LEASE: '2s',
        CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: '300ms',
        CERTCTL_CRL_GENERATION_INTERVAL: '500ms',
      });
      // The doomed replica starts first, so it is the one that takes the CRL loop's lock.
      const doomedPoints = join(tmp, 'doomed-points');
      armFaultPoints(doomedPoints, ['crl.after-reserve', 'issuance.after-ca']);
      const doomed = await startFaultServer({
        ledgerDir,
        env: env('doomed'),
        pointsFile: doomedPoints,
        replicaId: 'doomed',
      });
      servers.push(doomed);
      const id = (answer: { json: Record<string, unknown> }) => String(answer.json.id);
      const issuer = id(
        await doomed.call('POST', '/api/v1/issuers', { name: 'ledger', type: 'ledger-ca', config: {} }),
      );
      const team = id(await doomed.call('POST', '/api/v1/teams', { name: 'ops' }));
      const owner = id(
        await doomed.call('POST', '/api/v1/owners', { name: 'Ops', email: 'ops@example.com', team_id: team }),
      );
      const policy = id(await doomed.call('POST', '/api/v1/renewal-policies', { name: 'p', renewal_window_days: 10 }));
      expect(await doomed.reached('crl.after-reserve')).toEqual([issuer]);

      const survivors = await Promise.all(
        Array.from({ length: replicas - 1 }, (_, i) =>
          startFaultServer({ ledgerDir, env: env(`survivor-${i}`), replicaId: `survivor-${i}` }),
        ),
      );
      servers.push(...survivors);
      const all = [doomed, ...survivors];
      const jobIds: string[] = [];
      const certificateIds: string[] = [];
      for (let i = 0; i < 12; i++) {
        const server = all[i % all.length]!;
        const created = await server.call('POST', '/api/v1/certificates', {
          name: `r${i}`,
          common_name: `r${i}.example.com`,
          owner_id: owner,
          team_id: team,
          issuer_id: issuer,
          renewal_policy_id: policy,
          csr_pem: await makeCsr(`r${i}.example.com`),
        });
        expect(created.status, created.body).toBe(201);
        certificateIds.push(id(created));
        jobIds.push(String((created.json.job as { id: string }).id));
      }
      await doomed.reached('issuance.after-ca');
      await doomed.kill9();
      const held = await doomed.reached('issuance.after-ca');

      const db = new pg.Client({ connectionString: scratch.url });
      await db.connect();
      try {
        const survivor = survivors[0]!;
        await expect
          .poll(
            async () =>
              (
                await db.query<{ status: string }>('select status from jobs where id = any($1) and status <> $2', [
                  jobIds,
                  'succeeded',
                ])
              ).rows,
            { timeout: 60_000, interval: 300 },
          )
          .toEqual([]);
        // The jobs the killed replica held were finished by a survivor, each certificate issued once.
        const takenOver = await db.query<{ attempts: number }>('select attempts from jobs where id = any($1)', [
          held.map((subject) => subject.split(':')[1]),
        ]);
        expect(takenOver.rows.every((row) => row.attempts >= 2)).toBe(true);
        const versions = await db.query<{ n: string }>(
          'select certificate_id, count(*) as n from certificate_versions where certificate_id = any($1) group by 1',
          [certificateIds],
        );
        expect(versions.rows.map((row) => Number(row.n))).toEqual(certificateIds.map(() => 1));
        expect(signedTwice(readLedger(ledgerDir))).toEqual([]);
        const expirations = await Promise.all(
          survivors.map(async (server) => {
            const text = (await server.call('GET', '/metrics')).body;
            return Number(/^certctl_job_lease_expirations_total\{type="issuance"\} (\d+)/m.exec(text)?.[1] ?? 0);
          }),
        );
        // (Jobs it had claimed but not yet brought to the CA are taken over too.)
        expect(expirations.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(held.length);

        // The CRL loop's leader died mid-generation: a survivor's loop takes the lock and stores a CRL.
        await expect
          .poll(
            async () =>
              (await db.query('select 1 from crl_cache where issuer_id = $1 and crl_der is not null', [issuer]))
                .rowCount,
            { timeout: 30_000, interval: 300 },
          )
          .toBe(1);
        const crl = await survivor.pkiGet(`/.well-known/pki/crl/${issuer}`);
        expect(crl.status).toBe(200);
      } finally {
        await db.end();
      }
    }, 180_000);
  });
}
