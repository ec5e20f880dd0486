import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const run = promisify(execFile);

/** openssl's stdout+stderr, whatever its exit code (openssl ocsp prints verdicts on both). */
async function openssl(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('openssl', args, { cwd, encoding: 'utf8' });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

describeEachDialect("the server's own TLS certificate", (ctx) => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'certctl-server-tls-'));
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      env: { CERTCTL_SERVER_HOST: '127.0.0.1' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('is in the inventory, and the local CA OCSP responder answers good for it (openssl ocsp)', async () => {
    expect(server.tls.source).toBe('local-ca');
    const leafPem = server.tls.cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    const leaf = parseCertificate(leafPem);
    const listed = await call(server.api, 'GET', '/api/v1/certificates?per_page=500');
    const record = listed.json.data!.find((c) => c.name === 'certctl-server-tls');
    expect(record).toMatchObject({ status: 'active', common_name: 'certctl-server' });
    expect(new Date(String(record!.expires_at)).getTime()).toBe(leaf.notAfter.getTime());
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${record!.id}/versions`);
    expect(versions.json.data!.map((v) => v.serial)).toEqual([leaf.serialNumber]);

    const issuerId = String(record!.issuer_id);
    writeFileSync(join(work, 'server.pem'), `${leafPem}\n`);
    writeFileSync(join(work, 'ca.pem'), (await call(server.api, 'GET', `/api/v1/issuers/${issuerId}/ca-chain`)).body);
    const out = await openssl(
      [
        'ocsp',
        '-issuer',
        'ca.pem',
        '-cert',
        'server.pem',
        '-url',
        `${server.urls.pki}/.well-known/pki/ocsp/${issuerId}`,
        '-CAfile',
        'ca.pem',
      ],
      work,
    );
    expect(out).toContain('Response verify OK');
    expect(out).toContain('server.pem: good');
    const audit = await call(server.api, 'GET', `/api/v1/audit?action=server_tls_certificate_registered`);
    expect(audit.json.data!.map((e) => (e.details as { serial: string }).serial)).toEqual([leaf.serialNumber]);
  });
});
