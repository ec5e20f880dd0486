import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FakeAcmPca,
  type FakeEjbca,
  type FakeGoogleCas,
  startFakeAcmPca,
  startFakeEjbca,
  startFakeGoogleCas,
} from '@certctl/connector-testkit';
import awsacmpca from '@certctl/issuer-awsacmpca';
import ejbca from '@certctl/issuer-ejbca';
import googlecas from '@certctl/issuer-googlecas';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { call, makeCsr } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { startTestServer, type TestServer } from './testing/test-server.js';

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const work = mkdtempSync(join(tmpdir(), 'certctl-cloud-ca-'));
let cas: FakeGoogleCas;
let pca: FakeAcmPca;
let ejbcaFake: FakeEjbca;
const file = (name: string, content: string) => {
  const path = join(work, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
};

beforeAll(async () => {
  [cas, pca, ejbcaFake] = await Promise.all([startFakeGoogleCas(), startFakeAcmPca(), startFakeEjbca()]);
  // The AWS SDK's default credential chain reads these first, as on a server with env credentials.
  vi.stubEnv('AWS_ACCESS_KEY_ID', pca.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', pca.credentials.secretAccessKey);
}, 180_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([cas?.close(), pca?.close(), ejbcaFake?.close()]);
  rmSync(work, { recursive: true, force: true });
});

/**
 * Each cloud CA: how the issuer is configured (Google CAS through the API, the other two seeded from
 * their reference `CERTCTL_*` variables), which CA must verify what it issued, and what its fake recorded.
 */
const cases = () => [
  {
    type: 'googlecas',
    env: undefined,
    config: {
      project: cas.project,
      location: cas.location,
      ca_pool: cas.caPool,
      credentials: file('google-sa.json', cas.serviceAccountKeyJson),
      base_url: cas.endpoint,
      token_url: cas.tokenUrl,
    },
    caPem: cas.ca.certificatePem,
    revokedAtVendor: (serial: string) =>
      [...cas.certificates.values()].find((c) => c.serial === serial)?.revocation?.reason,
  },
  {
    type: 'awsacmpca',
    env: {
      CERTCTL_AWS_PCA_REGION: pca.region,
      CERTCTL_AWS_PCA_CA_ARN: pca.caArn,
      CERTCTL_AWS_PCA_SIGNING_ALGORITHM: 'SHA256WITHECDSA',
      CERTCTL_AWS_PCA_VALIDITY_DAYS: '90',
      CERTCTL_AWS_PCA_ENDPOINT_URL: pca.endpoint,
    },
    caPem: pca.ca.certificatePem,
    revokedAtVendor: (serial: string) => [...pca.certificates.values()].find((c) => c.serial === serial)?.revoked,
  },
  {
    type: 'ejbca',
    env: {
      CERTCTL_EJBCA_API_URL: ejbcaFake.apiUrl,
      CERTCTL_EJBCA_AUTH_MODE: 'mtls',
      CERTCTL_EJBCA_CLIENT_CERT_PATH: file('ejbca-admin.crt', ejbcaFake.adminClient!.certificatePem),
      CERTCTL_EJBCA_CLIENT_KEY_PATH: file('ejbca-admin.key', ejbcaFake.adminClient!.privateKeyPem),
      CERTCTL_EJBCA_SERVER_CA_PATH: file('ejbca-server-ca.pem', ejbcaFake.tlsCaPem),
      CERTCTL_EJBCA_CA_NAME: ejbcaFake.caName,
      CERTCTL_EJBCA_CERT_PROFILE: 'SERVER',
      CERTCTL_EJBCA_EE_PROFILE: 'certctl-tls',
    },
    caPem: ejbcaFake.ca.certificatePem,
    revokedAtVendor: (serial: string) => ejbcaFake.certificates.get(serial)?.revocationReason,
  },
];

describeEachDialect('the server issues managed certificates through the cloud and enterprise CA issuers', (ctx) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [googlecas, awsacmpca, ejbca],
      // The fakes listen on loopback: the operator allows it, as for a CA behind a private endpoint.
      env: Object.assign({ CERTCTL_NETWORK_ALLOW: '127.0.0.1' }, ...cases().map((ca) => ca.env ?? {})),
    });
  });
  afterAll(() => server?.stop());

  it('issues through Google CAS (created through the API), AWS Private CA and EJBCA (seeded from CERTCTL_* variables), each against its fake; openssl verifies every certificate, and revocation reaches the CA', async () => {
    const team = await call(server.api, 'POST', '/api/v1/teams', { name: `cloud-${ctx.dialect}` });
    const owner = await call(server.api, 'POST', '/api/v1/owners', {
      name: 'Ops',
      email: 'ops@example.com',
      team_id: team.json.id,
    });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `cloud-${ctx.dialect}`,
      renewal_window_days: 30,
    });
    for (const ca of cases()) {
      if (ca.env) {
        const seeded = (await call(server.api, 'GET', `/api/v1/issuers/iss-${ca.type}`)).json;
        expect(seeded, ca.type).toMatchObject({ id: `iss-${ca.type}`, type: ca.type, source: 'env' });
      } else {
        const issuer = await call(server.api, 'POST', '/api/v1/issuers', {
          id: `iss-${ca.type}`,
          name: `${ca.type} (${ctx.dialect})`,
          type: ca.type,
          config: ca.config,
        });
        expect(issuer.status, issuer.body).toBe(201);
      }
      const commonName = `${ca.type}.example.com`;
      const created = await call(server.api, 'POST', '/api/v1/certificates', {
        name: `${ca.type}-${ctx.dialect}`,
        common_name: commonName,
        sans: [`www.${commonName}`],
        owner_id: owner.json.id,
        team_id: team.json.id,
        issuer_id: `iss-${ca.type}`,
        renewal_policy_id: policy.json.id,
        csr_pem: await makeCsr(commonName, [`www.${commonName}`]),
      });
      expect(created.status, created.body).toBe(201);
      await server.runner.runOnce();
      const id = String(created.json.id);
      const certificate = await call(server.api, 'GET', `/api/v1/certificates/${id}`);
      expect(certificate.json.status, `${ca.type}: ${JSON.stringify(certificate.json)}`).toBe('active');

      const dir = mkdtempSync(join(work, `${ca.type}-${ctx.dialect}-`));
      writeFileSync(
        join(dir, 'leaf.pem'),
        (await call(server.api, 'GET', `/api/v1/certificates/${id}/export/pem`)).body,
      );
      writeFileSync(join(dir, 'ca.pem'), ca.caPem);
      expect(openssl(['verify', '-CAfile', 'ca.pem', 'leaf.pem'], dir)).toContain('leaf.pem: OK');
      const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text', '-serial'], dir);
      expect(text).toContain(`DNS:www.${commonName}`);
      const serial = /serial=([0-9A-F]+)/
        .exec(text)![1]!
        .toLowerCase()
        .replace(/^(00)+(?=..)/, '');

      const revoked = await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, { reason: 'superseded' });
      expect(revoked.status, revoked.body).toBe(200);
      expect(ca.revokedAtVendor(serial), ca.type).toMatch(/SUPERSEDED/);
    }

    // A certificate EJBCA issued outside certctl is found through its search API and imported.
    const legacy = await ejbcaFake.ca.issue({ commonName: `legacy-${ctx.dialect}.example.com` });
    ejbcaFake.certificates.set(legacy.serial, {
      serial: legacy.serial,
      username: `legacy-${ctx.dialect}`,
      certificatePem: legacy.certificatePem,
      certificateProfile: 'SERVER',
      endEntityProfile: 'certctl-tls',
    });
    const imported = await call(server.api, 'POST', '/api/v1/issuers/iss-ejbca/import', {
      dry_run: false,
      owner_id: owner.json.id,
      team_id: team.json.id,
      renewal_policy_id: policy.json.id,
    });
    expect(imported.status, imported.body).toBe(200);
    const entry = (imported.json.imported as { serial: string; certificate_id?: string }[]).find(
      (c) => c.serial === legacy.serial,
    );
    expect(entry, imported.body).toBeDefined();
    const managed = await call(server.api, 'GET', `/api/v1/certificates/${entry!.certificate_id}`);
    expect(managed.json).toMatchObject({ common_name: `legacy-${ctx.dialect}.example.com`, issuer_id: 'iss-ejbca' });
  }, 90_000);
});
