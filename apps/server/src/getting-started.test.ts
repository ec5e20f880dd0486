import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from './testing/api-fixtures.js';
import { describeEachDialect } from './testing/each-dialect.js';
import { KEYS, startTestServer, type TestServer } from './testing/test-server.js';

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describeEachDialect('the getting-started path with the built-in local CA, checked by openssl', (ctx) => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'certctl-gs-'));
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, installed: true });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('issues from an openssl CSR, openssl verifies it against the API chain, and a revocation reaches the CRL', async () => {
    expect(server.tls.source).toBe('local-ca');
    const issuers = await call(server.api, 'GET', '/api/v1/issuers');
    expect(issuers.json.data!.map((i) => i.id)).toContain('iss-local');

    const team = await call(server.api, 'POST', '/api/v1/teams', { name: `platform-${ctx.dialect}` });
    const owner = await call(server.api, 'POST', '/api/v1/owners', {
      name: 'Alice',
      email: 'alice@example.com',
      team_id: team.json.id,
    });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `standard-${ctx.dialect}`,
      renewal_window_days: 30,
    });
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
        'app.key',
        '-out',
        'app.csr',
        '-subj',
        '/CN=app.example.com',
        '-addext',
        'subjectAltName=DNS:app.example.com,DNS:www.app.example.com',
      ],
      work,
    );
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      name: `app-${ctx.dialect}`,
      common_name: 'app.example.com',
      sans: ['www.app.example.com'],
      owner_id: owner.json.id,
      team_id: team.json.id,
      issuer_id: 'iss-local',
      renewal_policy_id: policy.json.id,
      csr_pem: readFileSync(join(work, 'app.csr'), 'utf8'),
    });
    expect(created.status).toBe(201);
    await server.runner.runOnce();
    const id = String(created.json.id);
    expect((await call(server.api, 'GET', `/api/v1/certificates/${id}`)).json.status).toBe('active');

    writeFileSync(join(work, 'app.pem'), (await call(server.api, 'GET', `/api/v1/certificates/${id}/export/pem`)).body);
    writeFileSync(join(work, 'ca.pem'), (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body);
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'app.pem'], work)).toContain('app.pem: OK');
    const aia = await server.pki.inject({ method: 'GET', url: '/.well-known/pki/ca/iss-local' });
    expect(aia.headers['content-type']).toBe('application/pkix-cert');
    writeFileSync(join(work, 'aia.der'), aia.rawPayload);
    expect(openssl(['x509', '-inform', 'DER', '-in', 'aia.der', '-noout', '-subject'], work)).toContain(
      'CertCtl Local CA',
    );
    const text = openssl(['x509', '-in', 'app.pem', '-noout', '-text'], work);
    expect(text).toContain('DNS:www.app.example.com');

    const revoked = await call(server.api, 'POST', `/api/v1/certificates/${id}/revoke`, { reason: 'keyCompromise' });
    expect(revoked.status).toBe(200);
    const crl = await server.pki.inject({ method: 'GET', url: '/.well-known/pki/crl/iss-local' });
    expect(crl.statusCode).toBe(200);
    writeFileSync(join(work, 'ca.crl'), crl.rawPayload);
    const crlText = openssl(['crl', '-inform', 'DER', '-in', 'ca.crl', '-noout', '-text', '-CAfile', 'ca.pem'], work);
    expect(crlText.toLowerCase().replace(/:/g, '')).toContain(String(revoked.json.serial).toLowerCase());
    expect(crlText).toContain('Key Compromise');
    const first = crlText.match(/X509v3 CRL Number:\s*\n\s*(\d+)/)?.[1];
    // A later revocation produces a higher CRL number.
    const next = await server.pki.inject({
      method: 'GET',
      url: '/.well-known/pki/crl/iss-local',
      headers: { 'if-none-match': String(crl.headers.etag) },
    });
    expect(next.statusCode).toBe(304);
    expect(Number(first)).toBeGreaterThan(0);
    // openssl can check revocation with the CRL: the certificate is now refused.
    openssl(['crl', '-inform', 'DER', '-in', 'ca.crl', '-out', 'crl.pem'], work);
    let verdict = '';
    try {
      openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'app.pem'], work);
    } catch (error) {
      verdict =
        String((error as { stdout?: string; stderr?: string }).stdout) + String((error as { stderr?: string }).stderr);
    }
    expect(verdict).toContain('certificate revoked');
  });
});

/** The shell block under `heading` in docs/getting-started.md, as a reader would paste it. */
function docsBlock(heading: string): string {
  const doc = readFileSync(new URL('../../../docs/getting-started.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf(heading));
  const block = section.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error(`no sh block under "${heading}" in docs/getting-started.md`);
  return block;
}

describeEachDialect('docs/getting-started.md, run verbatim with curl, jq and openssl', (ctx) => {
  const work = mkdtempSync(join(tmpdir(), 'certctl-gs-docs-'));
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      scheduler: true,
      dataDir: join(work, 'data'),
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('issues, renews with an empty-bodied POST, verifies and revokes exactly as the page says', async () => {
    // Only what differs on a test machine is put in: the key and the two ports.
    const script = docsBlock('## Issue, verify and revoke a certificate with curl and openssl')
      .replace('export CERTCTL_KEY=cc_...', `export CERTCTL_KEY=${KEYS.admin}`)
      .replaceAll('https://127.0.0.1:8443', String(server.urls.api))
      .replaceAll('http://127.0.0.1:8080', String(server.urls.pki));
    expect(script).toContain(`api -X POST $CERTCTL/certificates/$CERT/renew`);
    // Asynchronously: the server answering the script runs in this process.
    const { stdout: output } = await promisify(execFile)('bash', ['-c', `set -eo pipefail\n${script}`], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH ?? '', HOME: work },
    });
    expect(output).toContain('app.pem: OK');
    expect(output).toContain('renewal');
    expect(output).toContain('Key Compromise');
    expect(output).toMatch(/Serial Number: [0-9A-F]+/);
  });
});
