import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeVendor, startFakeVendor } from '@certctl/connector-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../testing/api-fixtures.js';
import { armFaultPoints, type FaultServer, startFaultServer } from '../testing/fault-server.js';
import { ledgerCaCertificate, readLedger, signedTwice } from '../testing/ledger-ca.js';
import { createScratchPostgres, type ScratchPostgres } from '../testing/postgres-database.js';

/*
 * kill -9 of a real server process at the worst moment of each kind of work (the CA or the notifier
 * acted, the database does not know yet), all at once, then a restart on the same database: nothing
 * lost, nothing done twice, no job left stuck. On file-backed PGlite and on PostgreSQL.
 */
for (const dialect of ['pglite', 'postgres'] as const) {
  describe(`kill -9 during issuance, renewal, notification delivery and CRL generation [${dialect}]`, () => {
    const tmp = mkdtempSync(join(tmpdir(), `certctl-faults-${dialect}-`));
    const ledgerDir = join(tmp, 'ca');
    const pointsFile = join(tmp, 'fault-points');
    let scratch: ScratchPostgres | undefined;
    let receiver: FakeVendor;
    const deliveries: { event: string; dedupKey: string; certificateId: string }[] = [];
    let env: Record<string, string>;
    let server: FaultServer | undefined;

    beforeAll(async () => {
      receiver = await startFakeVendor({
        tls: false,
        routes: {
          'POST /hook': (request) => {
            const body = request.json() as { event: string; dedup_key: string; certificate?: { id?: string } };
            deliveries.push({
              event: body.event,
              dedupKey: body.dedup_key,
              certificateId: String(body.certificate?.id),
            });
            return { status: 200, body: { ok: true } };
          },
        },
      });
      if (dialect === 'postgres') scratch = await createScratchPostgres();
      env = {
        ...(scratch ? { CERTCTL_DATABASE_URL: scratch.url } : {}),
        CERTCTL_DATA_DIR: join(tmp, 'data'),
        CERTCTL_JOB_LEASE: '2s',
        CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: '300ms',
        CERTCTL_SCHEDULER_NOTIFICATION_PROCESS_INTERVAL: '300ms',
        // Generous: PGlite runs on the server's own thread, and a loaded machine stalls it.
        CERTCTL_NOTIFICATION_SEND_TIMEOUT: '4s',
        CERTCTL_NOTIFICATION_RETRY_INTERVAL: '200ms',
        CERTCTL_WEBHOOK_URL: `${receiver.url}/hook`,
        CERTCTL_WEBHOOK_ALLOW_LOOPBACK: 'true',
      };
    }, 60_000);
    afterAll(async () => {
      await server?.kill9();
      await receiver?.close();
      await scratch?.drop();
      rmSync(tmp, { recursive: true, force: true });
    });

    const ok = <T extends { status: number; body: unknown }>(answer: T, status: number): T => {
      expect(answer.status, String(answer.body)).toBe(status);
      return answer;
    };
    const jobStatus = async (id: string) => String((await server!.call('GET', `/api/v1/jobs/${id}`)).json.status);
    const versionsOf = async (id: string) =>
      Number((await server!.call('GET', `/api/v1/certificates/${id}/versions`)).json.total);
    const crlText = (der: Buffer) => {
      const path = join(tmp, 'crl.der');
      writeFileSync(path, der);
      const caPath = join(tmp, 'ca.pem');
      writeFileSync(caPath, ledgerCaCertificate(ledgerDir));
      // -CAfile verifies the signature; the text lists the entries.
      return execFileSync('openssl', ['crl', '-inform', 'DER', '-in', path, '-CAfile', caPath, '-noout', '-text'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    };

    it('loses nothing, issues and notifies once per request, and leaves no job stuck', async () => {
      // A server that works normally: an issuer, two certificates issued, a first CRL.
      server = await startFaultServer({ ledgerDir, env, pointsFile });
      const id = (answer: { json: Record<string, unknown> }) => String(answer.json.id);
      const issuer = id(
        ok(await server.call('POST', '/api/v1/issuers', { name: 'ledger', type: 'ledger-ca', config: {} }), 201),
      );
      const team = id(ok(await server.call('POST', '/api/v1/teams', { name: 'ops' }), 201));
      const owner = id(
        ok(await server.call('POST', '/api/v1/owners', { name: 'Ops', email: 'ops@example.com', team_id: team }), 201),
      );
      const everything = ['Webhook'];
      const policy = id(
        ok(
          await server.call('POST', '/api/v1/renewal-policies', {
            name: 'alerts-to-webhook',
            renewal_window_days: 10,
            alert_channels: { informational: everything, warning: everything, critical: everything },
          }),
          201,
        ),
      );
      const create = async (name: string) => {
        const answer = ok(
          await server!.call('POST', '/api/v1/certificates', {
            name,
            common_name: `${name}.example.com`,
            owner_id: owner,
            team_id: team,
            issuer_id: issuer,
            renewal_policy_id: policy,
            csr_pem: await makeCsr(`${name}.example.com`),
          }),
          201,
        );
        return { id: id(answer), jobId: String((answer.json.job as { id: string }).id) };
      };
      const renewed = await create('renewed');
      const revoked = await create('revoked');
      for (const cert of [renewed, revoked])
        await expect.poll(() => jobStatus(cert.jobId), { timeout: 30_000, interval: 200 }).toBe('succeeded');
      await expect.poll(() => deliveries.length, { timeout: 30_000, interval: 200 }).toBe(2);
      ok(await server.pkiGet(`/.well-known/pki/crl/${issuer}`), 200);

      // Every kind of work stopped at its crash point, then kill -9. (A job stopped at its crash point
      // holds the job runner's pass, so the renewal crashes in a second round.)
      armFaultPoints(pointsFile, ['issuance.after-ca', 'notification.after-send', 'crl.after-reserve']);
      const fresh = await create('fresh');
      expect(await server.reached('issuance.after-ca')).toEqual([`issuance:${fresh.jobId}`]);
      ok(await server.call('POST', `/api/v1/certificates/${revoked.id}/revoke`, { reason: 'keyCompromise' }), 200);
      await server.reached('notification.after-send');
      const crlDuringCrash = server.pkiGet(`/.well-known/pki/crl/${issuer}`).catch(() => undefined);
      await server.reached('crl.after-reserve');
      await server.kill9();
      expect(await crlDuringCrash).toBeUndefined();
      const revokedDeliveries = () => deliveries.filter((d) => d.event === 'revoked');
      // (More than one when a send timed out on a stalled machine but arrived, and was retried.)
      const revokedBeforeKill = revokedDeliveries().length;
      expect(revokedBeforeKill).toBeGreaterThanOrEqual(1);

      // Restarted: the issuance is taken over once its lease runs out; then a renewal is killed at the same point.
      armFaultPoints(pointsFile, ['issuance.after-ca@renewal:']);
      server = await startFaultServer({ ledgerDir, env, pointsFile });
      await expect.poll(() => jobStatus(fresh.jobId), { timeout: 30_000, interval: 250 }).toBe('succeeded');
      const renewal = ok(
        await server.call('POST', `/api/v1/certificates/${renewed.id}/csr`, {
          csr_pem: await makeCsr('renewed.example.com'),
        }),
        202,
      );
      const renewalJob = String(renewal.json.id);
      expect(await server.reached('issuance.after-ca')).toEqual([`renewal:${renewalJob}`]);
      await server.kill9();

      // Restarted again, with no fault: everything finishes.
      armFaultPoints(pointsFile, []);
      server = await startFaultServer({ ledgerDir, env, pointsFile });
      await expect.poll(() => jobStatus(renewalJob), { timeout: 30_000, interval: 250 }).toBe('succeeded');
      expect(await versionsOf(fresh.id)).toBe(1);
      expect(await versionsOf(renewed.id)).toBe(2);
      // The CA was asked again with the same request id and answered what it had signed: one certificate each.
      const ledger = readLedger(ledgerDir);
      expect(signedTwice(ledger)).toEqual([]);
      expect(ledger.filter((c) => c.requestId === fresh.jobId && c.method === 'issue').length).toBeGreaterThanOrEqual(
        2,
      );
      expect(ledger.filter((c) => c.requestId === renewalJob && c.method === 'renew').length).toBeGreaterThanOrEqual(2);

      // Every notification arrives; a repeat (the revocation notice sent before the kill and again
      // after it, or a send that timed out but arrived) carries the same dedup key, which incident
      // tools fold into one: one notification per dedup key, each key for one event.
      const keysOf = (events: string[]) =>
        new Set(deliveries.filter((d) => events.includes(d.event)).map((d) => d.dedupKey));
      await expect.poll(() => keysOf(['issued', 'renewed']).size, { timeout: 30_000, interval: 250 }).toBe(4);
      const outbox = async () => (await server!.call('GET', '/api/v1/notifications?per_page=100')).json.data ?? [];
      await expect
        .poll(async () => (await outbox()).filter((n) => n.status !== 'sent').map((n) => n.status), {
          timeout: 30_000,
          interval: 500,
        })
        .toEqual([]);
      expect((await outbox()).length).toBe(5);
      expect(revokedDeliveries().length).toBeGreaterThan(revokedBeforeKill);
      expect(keysOf(['revoked']).size).toBe(1);
      expect(new Set(deliveries.map((d) => d.dedupKey)).size).toBe(5);
      for (const key of new Set(deliveries.map((d) => d.dedupKey)))
        expect(
          new Set(deliveries.filter((d) => d.dedupKey === key).map((d) => `${d.event} ${d.certificateId}`)).size,
        ).toBe(1);

      // The CRL whose generation was killed: the next one lists the revocation, signed by the CA.
      const serial = String(
        (await server.call('GET', `/api/v1/certificates/${revoked.id}/versions`)).json.data?.[0]?.serial,
      );
      const crl = await server.pkiGet(`/.well-known/pki/crl/${issuer}`);
      expect(crl.status).toBe(200);
      expect(crlText(crl.body).toUpperCase().replace(/:/g, '')).toContain(serial.toUpperCase());

      // Nothing left in flight.
      const jobs = (await server.call('GET', '/api/v1/jobs?per_page=100')).json.data ?? [];
      expect(jobs.filter((j) => !['succeeded', 'failed', 'cancelled'].includes(String(j.status)))).toEqual([]);
      await server.stop();
      server = undefined;
    }, 180_000);
  });
}
