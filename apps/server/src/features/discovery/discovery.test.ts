import { certificateFingerprint, createCertificateAuthority, exportPrivateKeyPem } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Basics, call, certificateBody, createBasics } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

const BOOTSTRAP = 'bootstrap-token-for-discovery-0123';

describeEachDialect('discovery reports from agents', (ctx) => {
  let server: TestServer;
  let basics: Basics;
  let agent: { id: string; key: string };
  let other: { id: string; key: string };
  const certs: { pem: string; keyPem: string; fingerprint: string }[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [createTestCa().manifest],
      env: { CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP },
    });
    basics = await createBasics(server.api);
    const register = async (name: string) => {
      const r = await call(server.api, 'POST', '/api/v1/agents', { name: `${name}-${ctx.dialect}` }, BOOTSTRAP);
      expect(r.status).toBe(201);
      return { id: String(r.json.id), key: String(r.json.api_key) };
    };
    agent = await register('host-a');
    other = await register('host-b');
    for (const cn of ['one.example.com', 'two.example.com']) {
      const ca = await createCertificateAuthority({ subject: { CN: cn } });
      certs.push({
        pem: ca.certificate.pem,
        keyPem: exportPrivateKeyPem(ca.keys.privateKey),
        fingerprint: certificateFingerprint(ca.certificate.pem).hex,
      });
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const report = (
    who: { id: string; key: string },
    certificates: unknown[],
    path = `/api/v1/agents/${who.id}/discoveries`,
  ) => call(server.api, 'POST', path, { directories: ['/etc/ssl'], certificates, scan_duration_ms: 12 }, who.key);
  const list = async (query: string) =>
    (await call(server.api, 'GET', `/api/v1/discovered-certificates?${query}`)).json;

  it('dedups by fingerprint + agent + path: a re-scan refreshes, another path or agent is another finding', async () => {
    const first = await report(agent, [
      { path: '/etc/ssl/one.pem', certificate_pem: certs[0]?.pem, fingerprint_sha256: certs[0]?.fingerprint },
      { path: '/etc/ssl/two.pem', certificate_pem: certs[1]?.pem },
    ]);
    expect(first.json).toMatchObject({ reported: 2, created: 2, rejected: [] });
    const again = await report(agent, [{ path: '/etc/ssl/one.pem', certificate_pem: certs[0]?.pem }]);
    expect(again.json).toMatchObject({ reported: 1, created: 0 });
    expect((await report(agent, [{ path: '/srv/copy/one.pem', certificate_pem: certs[0]?.pem }])).json).toMatchObject({
      created: 1,
    });
    expect((await report(other, [{ path: '/etc/ssl/one.pem', certificate_pem: certs[0]?.pem }])).json).toMatchObject({
      created: 1,
    });
    expect((await list(`agent_id=${agent.id}`)).total).toBe(3);
    expect((await list(`agent_id=${other.id}`)).total).toBe(1);
    const found = (await list(`agent_id=${agent.id}`)).data?.find((d) => d.source_path === '/etc/ssl/one.pem');
    expect(found).toMatchObject({
      common_name: 'one.example.com',
      fingerprint_sha256: certs[0]?.fingerprint,
      status: 'unmanaged',
    });
    expect(found?.certificate_pem).toBeUndefined();
    expect((await call(server.api, 'GET', `/api/v1/discovery-scans?agent_id=${agent.id}`)).json.total).toBe(3);
  });

  it('refuses a report carrying a private key (nothing stored), rejects forged fingerprints, and keeps agents apart', async () => {
    const before = (await list(`agent_id=${agent.id}`)).total;
    const withKey = await report(agent, [
      { path: '/etc/ssl/new.pem', certificate_pem: `${certs[1]?.pem}${certs[1]?.keyPem}` },
    ]);
    expect(withKey.status).toBe(400);
    expect(withKey.body).not.toContain('BEGIN');
    const forged = await report(agent, [
      { path: '/etc/ssl/forged.pem', certificate_pem: certs[1]?.pem, fingerprint_sha256: '00'.repeat(32) },
      { path: '/etc/ssl/junk.pem', certificate_pem: 'not a certificate' },
    ]);
    expect(forged.json).toMatchObject({ reported: 0, created: 0 });
    expect((forged.json.rejected as unknown[]).length).toBe(2);
    expect((await list(`agent_id=${agent.id}`)).total).toBe(before);
    expect((await report(agent, [], `/api/v1/agents/${other.id}/discoveries`)).status).toBe(403);
    expect(
      (await call(server.api, 'POST', `/api/v1/agents/${agent.id}/discoveries`, { certificates: [] }, KEYS.viewer))
        .status,
    ).toBe(403);
  });

  it('claim links a finding to a managed certificate, dismiss sticks across scans, and a certificate certctl issued is recognised', async () => {
    const [one] = (await list(`agent_id=${other.id}`)).data ?? [];
    const managed = await call(server.api, 'POST', '/api/v1/certificates', certificateBody(basics));
    const claimed = await call(
      server.api,
      'POST',
      `/api/v1/discovered-certificates/${one?.id}/claim`,
      { managed_certificate_id: managed.json.id },
      KEYS.alice,
    );
    expect(claimed.json).toMatchObject({ status: 'managed', managed_certificate_id: managed.json.id });
    expect(
      (
        await call(
          server.api,
          'POST',
          `/api/v1/discovered-certificates/${one?.id}/claim`,
          { managed_certificate_id: managed.json.id },
          KEYS.viewer,
        )
      ).status,
    ).toBe(403);

    const two = (await list(`agent_id=${agent.id}`)).data?.find((d) => d.source_path === '/etc/ssl/two.pem');
    expect(
      (await call(server.api, 'POST', `/api/v1/discovered-certificates/${two?.id}/dismiss`, { reason: 'appliance' }))
        .json,
    ).toMatchObject({ status: 'dismissed' });
    await report(agent, [{ path: '/etc/ssl/two.pem', certificate_pem: certs[1]?.pem }]);
    expect((await call(server.api, 'GET', `/api/v1/discovered-certificates/${two?.id}`)).json).toMatchObject({
      status: 'dismissed',
      dismiss_reason: 'appliance',
    });
    expect((await call(server.api, 'POST', '/api/v1/discovered-certificates/disc-missing/dismiss', {})).status).toBe(
      404,
    );

    // A certificate issued by certctl and found on disk is recognised as managed on first sight.
    const { makeCsr } = await import('../../testing/api-fixtures.js');
    const body = certificateBody(basics);
    const issued = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    await server.runner.runOnce();
    const pem = (await call(server.api, 'GET', `/api/v1/certificates/${issued.json.id}/export/pem`)).body;
    const leaf = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25);
    await report(agent, [{ path: '/etc/nginx/site.pem', certificate_pem: leaf }]);
    const recognised = (await list(`agent_id=${agent.id}&status=managed`)).data?.find(
      (d) => d.source_path === '/etc/nginx/site.pem',
    );
    expect(recognised).toMatchObject({ managed_certificate_id: issued.json.id });
    expect((await call(server.api, 'GET', '/api/v1/discovery-summary')).json).toMatchObject({
      managed: 2,
      dismissed: 1,
    });
  });
});
