import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

describeEachDialect('bulk operations with per-certificate items', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  let basics: Basics;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, connectors: [ca.manifest] });
    basics = await createBasics(server.api);
  });
  afterAll(() => server?.stop());

  async function issued(count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const body = certificateBody(basics, extra);
      const created = await call(server.api, 'POST', '/api/v1/certificates', {
        ...body,
        csr_pem: await makeCsr(String(body.common_name)),
      });
      ids.push(String(created.json.id));
    }
    await server.runner.runOnce();
    return ids;
  }

  /** Reads the operation until it completed (it works in the background after the 202). */
  async function completed(id: string) {
    for (let i = 0; i < 200; i++) {
      const op = await call(server.api, 'GET', `/api/v1/bulk-operations/${id}`);
      if (op.json.status === 'completed') return op.json;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`bulk operation ${id} did not complete`);
  }
  const items = async (id: string) =>
    (await call(server.api, 'GET', `/api/v1/bulk-operations/${id}/items?per_page=500`)).json.data as {
      certificate_id: string;
      status: string;
      job_id: string | null;
      job_status: string | null;
      detail: string | null;
    }[];
  const jobsOf = async (certificateId: string, type: string) =>
    ((await call(server.api, 'GET', `/api/v1/jobs?certificate_id=${certificateId}&type=${type}`)).json.data ?? [])
      .length;

  it('bulk renew queues one job per certificate, shows each job as it progresses, and a repeated request does nothing new', async () => {
    const ids = await issued(2);
    const never = String((await call(server.api, 'POST', '/api/v1/certificates', certificateBody(basics))).json.id);
    const started = await call(server.api, 'POST', '/api/v1/certificates/bulk-renew', {
      certificate_ids: [...ids, never],
    });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ kind: 'renew', total: 3, replayed: false, requested_by: 'admin' });
    const op = await completed(String(started.json.id));
    expect(op.counts).toMatchObject({ succeeded: 2, failed: 1, pending: 0, running: 0 });
    const before = await items(String(started.json.id));
    expect(before.map((i) => i.certificate_id)).toEqual([...ids, never]);
    expect(before.slice(0, 2).map((i) => [i.status, i.job_status])).toEqual([
      ['succeeded', 'pending'],
      ['succeeded', 'pending'],
    ]);
    // The one never issued has no CSR to renew from: its item says why, the others went on.
    expect(before[2]).toMatchObject({ status: 'failed', job_id: null, detail: expect.stringContaining('no CSR') });

    const again = await call(server.api, 'POST', '/api/v1/certificates/bulk-renew', {
      certificate_ids: [...ids, never],
    });
    expect(again.json).toMatchObject({ id: started.json.id, replayed: true });
    for (const id of ids) expect(await jobsOf(id, 'renewal')).toBe(1);

    await server.runner.runOnce();
    const after = await items(String(started.json.id));
    expect(after.slice(0, 2).map((i) => i.job_status)).toEqual(['succeeded', 'succeeded']);
    for (const id of ids)
      expect((await call(server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.total).toBe(2);

    // A new request (another idempotency key) while a renewal is open skips that certificate instead of doubling it.
    await call(server.api, 'POST', `/api/v1/certificates/${ids[0]}/renew`);
    const second = await call(server.api, 'POST', '/api/v1/certificates/bulk-renew', {
      certificate_ids: [ids[0]],
      idempotency_key: 'second-round',
    });
    expect(second.json.replayed).toBe(false);
    await completed(String(second.json.id));
    expect((await items(String(second.json.id)))[0]).toMatchObject({
      status: 'skipped',
      detail: 'an issuance or renewal job is already open',
    });
    expect(await jobsOf(ids[0]!, 'renewal')).toBe(2);

    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${started.json.id}`);
    expect(audit.json.data!.map((e) => e.action).sort()).toEqual([
      'bulk_operation_completed',
      'bulk_renewal_initiated',
    ]);
  });

  it('bulk reassign sets owner, team, renewal policy and profile by criteria; unchanged certificates are skipped', async () => {
    const environment = `reassign-${Date.now().toString(36)}`;
    const ids = await issued(2, { environment });
    const team = await call(server.api, 'POST', '/api/v1/teams', { name: `team-${environment}` });
    const owner = await call(server.api, 'POST', '/api/v1/owners', {
      name: 'New owner',
      email: 'new@example.com',
      team_id: team.json.id,
    });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', { name: `rp-${environment}` });
    const profile = await call(server.api, 'POST', '/api/v1/profiles', { name: `prof-${environment}` });
    expect(profile.status).toBe(201);
    const body = {
      environment,
      new_owner_id: owner.json.id,
      new_team_id: team.json.id,
      new_renewal_policy_id: policy.json.id,
      new_profile_id: profile.json.id,
    };
    const started = await call(server.api, 'POST', '/api/v1/certificates/bulk-reassign', body, KEYS.alice);
    expect(started.status).toBe(202);
    expect(started.json.changes).toEqual({
      owner_id: owner.json.id,
      team_id: team.json.id,
      renewal_policy_id: policy.json.id,
      profile_id: profile.json.id,
    });
    expect(started.json.criteria).toEqual({ environment });
    const op = await completed(String(started.json.id));
    expect(op.counts).toMatchObject({ succeeded: 2, skipped: 0, failed: 0 });
    for (const id of ids)
      expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json).toMatchObject({
        owner_id: owner.json.id,
        team_id: team.json.id,
        renewal_policy_id: policy.json.id,
        profile_id: profile.json.id,
      });
    const updates = await call(server.api, 'GET', `/api/v1/audit?resource_id=${ids[0]}&action=certificate_updated`);
    expect(updates.json.data!.map((e) => e.actor)).toEqual(['alice']);

    const repeat = await call(server.api, 'POST', '/api/v1/certificates/bulk-reassign', {
      ...body,
      idempotency_key: 'again',
    });
    const repeated = await completed(String(repeat.json.id));
    expect(repeated.counts).toMatchObject({ succeeded: 0, skipped: 2 });
    expect((await items(String(repeat.json.id))).map((i) => i.detail)).toEqual([
      'already assigned so',
      'already assigned so',
    ]);

    // Bad input is a 400 and starts nothing.
    const before = (await call(server.api, 'GET', '/api/v1/bulk-operations?kind=reassign')).json.total;
    const unknownOwner = await call(server.api, 'POST', '/api/v1/certificates/bulk-reassign', {
      environment,
      new_owner_id: 'o-nope',
    });
    expect(unknownOwner.status).toBe(400);
    expect(unknownOwner.json).toMatchObject({ error: 'invalid_request', request_id: expect.any(String) });
    const nothingToSet = await call(server.api, 'POST', '/api/v1/certificates/bulk-reassign', { environment });
    expect(nothingToSet.status).toBe(400);
    const noCriteria = await call(server.api, 'POST', '/api/v1/certificates/bulk-reassign', {
      new_owner_id: owner.json.id,
    });
    expect(noCriteria.status).toBe(400);
    expect((await call(server.api, 'GET', '/api/v1/bulk-operations?kind=reassign')).json.total).toBe(before);
    expect((await call(server.api, 'POST', '/api/v1/certificates/bulk-reassign', body, KEYS.viewer)).status).toBe(403);
  });

  it('bulk revoke is admin only, revokes each issued certificate once, and skips the rest with a reason', async () => {
    const ids = await issued(2);
    const never = String((await call(server.api, 'POST', '/api/v1/certificates', certificateBody(basics))).json.id);
    const body = { certificate_ids: [...ids, never], reason: 'cessationOfOperation' };
    expect((await call(server.api, 'POST', '/api/v1/certificates/bulk-revoke', body, KEYS.alice)).status).toBe(403);
    expect(
      (await call(server.api, 'POST', '/api/v1/certificates/bulk-revoke', { ...body, reason: 'bored' })).status,
    ).toBe(400);
    const started = await call(server.api, 'POST', '/api/v1/certificates/bulk-revoke', body);
    expect(started.status).toBe(202);
    const op = await completed(String(started.json.id));
    expect(op).toMatchObject({ kind: 'revoke', reason: 'cessationOfOperation', total: 3 });
    expect(op.counts).toMatchObject({ succeeded: 2, skipped: 1, failed: 0 });
    expect((await items(String(started.json.id)))[2]).toMatchObject({ status: 'skipped', detail: 'never issued' });
    for (const id of ids) {
      expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('revoked');
      const revoked = await call(server.api, 'GET', `/api/v1/audit?resource_id=${id}&action=certificate_revoked`);
      expect(revoked.json.data!.map((e) => (e.details as { bulk_operation_id: string }).bulk_operation_id)).toEqual([
        started.json.id,
      ]);
    }
    // Same body again: the same operation, no second revocation.
    expect((await call(server.api, 'POST', '/api/v1/certificates/bulk-revoke', body)).json).toMatchObject({
      id: started.json.id,
      replayed: true,
    });
    const listed = await call(server.api, 'GET', '/api/v1/bulk-operations?kind=revoke');
    expect(listed.json.data!.map((o) => o.id)).toContain(started.json.id);
    expect((await call(server.api, 'GET', '/api/v1/bulk-operations/bulk-nope')).status).toBe(404);
  });
});
