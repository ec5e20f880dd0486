import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningPebble, startPebble } from '@certctl/tooling/services';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { startTestServer, type TestServer } from './testing/test-server.js';

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let pebble: RunningPebble;
let responderPort: number;
const work = mkdtempSync(join(tmpdir(), 'certctl-acme-e2e-'));
beforeAll(async () => {
  responderPort = await freePort();
  pebble = await startPebble({ httpPort: responderPort, nonceRejectPercent: 10 });
  writeFileSync(join(work, 'pebble-tls-ca.pem'), pebble.tlsCaPem);
}, 180_000);
afterAll(async () => {
  await pebble?.stop();
  rmSync(work, { recursive: true, force: true });
});

describeEachDialect('a server seeded with CERTCTL_ACME_DIRECTORY_URL issues from pebble end to end', (ctx) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      env: {
        CERTCTL_ACME_DIRECTORY_URL: pebble.directoryUrl,
        CERTCTL_ACME_EMAIL: 'ops@example.com',
        CERTCTL_ACME_HTTP_PORT: String(responderPort),
        CERTCTL_ACME_HTTP_BIND_ADDRESS: '127.0.0.1',
        CERTCTL_ACME_CA_BUNDLE_PATH: join(work, 'pebble-tls-ca.pem'),
        // pebble listens on loopback: the operator's explicit allowance (the config alone cannot grant it).
        CERTCTL_NETWORK_ALLOW: '127.0.0.1',
      },
    });
  });
  afterAll(() => server?.stop());

  it("seeds iss-acme from the environment, issues a managed certificate openssl verifies to pebble's root, and revokes it at pebble", async () => {
    const issuers = await call(server.api, 'GET', '/api/v1/issuers');
    const acme = issuers.json.data!.find((i) => i.id === 'iss-acme');
    expect(acme).toMatchObject({ type: 'acme', source: 'env' });

    const team = await call(server.api, 'POST', '/api/v1/teams', { name: `web-${ctx.dialect}` });
    const owner = await call(server.api, 'POST', '/api/v1/owners', {
      name: 'Ops',
      email: 'ops@example.com',
      team_id: team.json.id,
    });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `acme-${ctx.dialect}`,
      renewal_window_days: 30,
    });
    const dir = mkdtempSync(join(work, `${ctx.dialect}-`));
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'shop.key',
        '-out',
        'shop.csr',
        '-subj',
        '/CN=shop.example.com',
        '-addext',
        'subjectAltName=DNS:shop.example.com,DNS:www.shop.example.com',
      ],
      dir,
    );
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      name: `shop-${ctx.dialect}`,
      common_name: 'shop.example.com',
      sans: ['www.shop.example.com'],
      owner_id: owner.json.id,
      team_id: team.json.id,
      issuer_id: 'iss-acme',
      renewal_policy_id: policy.json.id,
      csr_pem: readFileSync(join(dir, 'shop.csr'), 'utf8'),
    });
    expect(created.status).toBe(201);
    await server.runner.runOnce();
    const id = String(created.json.id);
    const certificate = await call(server.api, 'GET', `/api/v1/certificates/${id}`);
    expect(certificate.json.status, JSON.stringify(certificate.json)).toBe('active');

    writeFileSync(join(dir, 'shop.pem'), (await call(server.api, 'GET', `/api/v1/certificates/${id}/export/pem`)).body);
    writeFileSync(join(dir, 'root.pem'), await pebble.rootPem());
    writeFileSync(join(dir, 'intermediate.pem'), await pebble.intermediatePem());
    expect(openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'shop.pem'], dir)).toContain(
      'shop.pem: OK',
    );
    const text = openssl(['x509', '-in', 'shop.pem', '-noout', '-text', '-serial'], dir);
    expect(text).toContain('DNS:www.shop.example.com');
    const serial = /serial=([0-9A-F]+)/.exec(text)![1]!.toLowerCase();

    const revoked = await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, { reason: 'superseded' });
    expect(revoked.status, JSON.stringify(revoked.json)).toBe(200);
    const status = await pebble.certStatus(serial.replace(/^0+/, ''));
    expect(status.Status).toBe('Revoked');
    expect(status.Reason).toBe(4);
  }, 60_000);
});
