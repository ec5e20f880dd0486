import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseOcspResponse } from '@certctl/pki';
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

describeEachDialect('CRL and OCSP on the plain-HTTP listener, checked by openssl', (ctx) => {
  let server: TestServer;
  let replica: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'certctl-ocsp-'));
  let ocspUrl: string;
  let certificateId: string;

  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      env: { CERTCTL_SERVER_HOST: '127.0.0.1' },
    });
    replica = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      env: { CERTCTL_SERVER_HOST: '127.0.0.1' },
    });
    ocspUrl = `${server.urls.pki}/.well-known/pki/ocsp/iss-local`;
    const team = await call(server.api, 'POST', '/api/v1/teams', { name: `ocsp-${ctx.dialect}` });
    const owner = await call(server.api, 'POST', '/api/v1/owners', {
      name: 'Ops',
      email: 'ops@example.com',
      team_id: team.json.id,
    });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: `ocsp-${ctx.dialect}`,
      renewal_window_days: 30,
    });
    await openssl(
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
        '/CN=ocsp.example.com',
      ],
      work,
    );
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      name: `ocsp-${ctx.dialect}`,
      common_name: 'ocsp.example.com',
      sans: [],
      owner_id: owner.json.id,
      team_id: team.json.id,
      issuer_id: 'iss-local',
      renewal_policy_id: policy.json.id,
      csr_pem: readFileSync(join(work, 'app.csr'), 'utf8'),
    });
    expect(created.status).toBe(201);
    await server.runner.runOnce();
    certificateId = String(created.json.id);
    writeFileSync(
      join(work, 'app.pem'),
      (await call(server.api, 'GET', `/api/v1/certificates/${certificateId}/export/pem`)).body,
    );
    writeFileSync(join(work, 'ca.pem'), (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body);
    // The request openssl would send, without a nonce, for the GET form and the cache.
    await openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'app.pem', '-no_nonce', '-reqout', 'req.der'], work);
  });
  afterAll(async () => {
    await replica?.stop();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const getOcsp = async (base: string) => {
    const encoded = encodeURIComponent(readFileSync(join(work, 'req.der')).toString('base64'));
    const response = await fetch(`${base}/.well-known/pki/ocsp/iss-local/${encoded}`);
    writeFileSync(join(work, 'resp.der'), Buffer.from(await response.arrayBuffer()));
    return response;
  };

  it('answers good over POST with the nonce echoed, signed by the delegated responder openssl trusts', async () => {
    const out = await openssl(
      ['ocsp', '-issuer', 'ca.pem', '-cert', 'app.pem', '-url', ocspUrl, '-CAfile', 'ca.pem', '-resp_text'],
      work,
    );
    expect(out).toContain('Response verify OK');
    expect(out).toContain('app.pem: good');
    expect(out).not.toContain('WARNING: no nonce');
    expect(out).toMatch(/OCSP Nonce/);
    expect(out).toMatch(/OCSP No Check/);
  });

  it('answers good over GET with HTTP caching headers, and serves repeats from the pre-signed cache', async () => {
    const first = await getOcsp(server.urls.pki!);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/ocsp-response');
    expect(first.headers.get('cache-control')).toMatch(/^max-age=\d+, public, no-transform, must-revalidate$/);
    expect(first.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    expect(Date.parse(first.headers.get('expires')!)).toBeGreaterThan(Date.now());
    const out = await openssl(
      ['ocsp', '-respin', 'resp.der', '-issuer', 'ca.pem', '-cert', 'app.pem', '-CAfile', 'ca.pem'],
      work,
    );
    expect(out).toContain('Response verify OK');
    expect(out).toContain('app.pem: good');
    const firstBytes = readFileSync(join(work, 'resp.der'));
    const second = await getOcsp(server.urls.pki!);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(readFileSync(join(work, 'resp.der')).equals(firstBytes)).toBe(true);
    // The other replica caches its own good answer too.
    await getOcsp(replica.urls.pki!);
    expect(
      await openssl(
        ['ocsp', '-respin', 'resp.der', '-issuer', 'ca.pem', '-cert', 'app.pem', '-CAfile', 'ca.pem'],
        work,
      ),
    ).toContain('app.pem: good');
  });

  it('answers unknown for a serial it never issued (reference hex-serial GET form too)', async () => {
    const out = await openssl(
      ['ocsp', '-issuer', 'ca.pem', '-serial', '0x0123456789abcdef', '-url', ocspUrl, '-CAfile', 'ca.pem'],
      work,
    );
    expect(out).toContain('0x0123456789abcdef: unknown');
    const response = await fetch(`${server.urls.pki}/.well-known/pki/ocsp/iss-local/0123456789abcdef`);
    const parsed = parseOcspResponse(new Uint8Array(await response.arrayBuffer()));
    expect(parsed.basic?.responses[0]?.certStatus).toMatchObject({ status: 'unknown' });
  });

  it('answers malformedRequest to garbage, and unauthorized for an issuer it does not serve', async () => {
    const garbage = await fetch(ocspUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from('not an ocsp request'),
    });
    expect(garbage.status).toBe(200);
    expect(parseOcspResponse(new Uint8Array(await garbage.arrayBuffer())).status).toBe('malformedRequest');
    const badGet = await fetch(`${server.urls.pki}/.well-known/pki/ocsp/iss-local/%21%21not-base64`);
    expect(parseOcspResponse(new Uint8Array(await badGet.arrayBuffer())).status).toBe('malformedRequest');
    const other = await fetch(`${server.urls.pki}/.well-known/pki/ocsp/no-such-issuer`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: readFileSync(join(work, 'req.der')),
    });
    expect(parseOcspResponse(new Uint8Array(await other.arrayBuffer())).status).toBe('unauthorized');
  });

  it('serves repeats without the database, yet stops answering for a deleted issuer on every replica within seconds', async () => {
    const id = `iss-gone-${ctx.dialect}`;
    expect(
      (
        await call(server.api, 'POST', '/api/v1/issuers', {
          id,
          name: `gone ${ctx.dialect}`,
          type: 'local',
          config: {},
        })
      ).status,
    ).toBe(201);
    const ask = async (base: string) => {
      const response = await fetch(`${base}/.well-known/pki/ocsp/${id}/0abc`);
      return parseOcspResponse(new Uint8Array(await response.arrayBuffer()));
    };
    for (const base of [server.urls.pki!, replica.urls.pki!]) {
      expect((await ask(base)).basic?.responses[0]?.certStatus).toMatchObject({ status: 'unknown' });
      expect((await ask(base)).basic?.responses[0]?.certStatus).toMatchObject({ status: 'unknown' });
    }
    expect((await call(server.api, 'DELETE', `/api/v1/issuers/${id}`)).status).toBe(204);
    for (const base of [server.urls.pki!, replica.urls.pki!]) {
      let status = (await ask(base)).status;
      for (let i = 0; i < 40 && status !== 'unauthorized'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await ask(base)).status;
      }
      expect(status).toBe('unauthorized');
    }
  });

  it('after a revocation: OCSP says revoked with reason and time (this replica at once, the other within seconds), the CRL lists it', async () => {
    // The replica has answered with a nonce (signed per request, its status remembered) before the revocation.
    const replicaOcsp = [
      'ocsp',
      '-issuer',
      'ca.pem',
      '-cert',
      'app.pem',
      '-url',
      `${replica.urls.pki}/.well-known/pki/ocsp/iss-local`,
      '-CAfile',
      'ca.pem',
    ];
    expect(await openssl(replicaOcsp, work)).toContain('app.pem: good');
    expect(await openssl(replicaOcsp, work)).toContain('app.pem: good');
    const revoked = await call(server.api, 'POST', `/api/v1/certificates/${certificateId}/revoke`, {
      reason: 'keyCompromise',
    });
    expect(revoked.status).toBe(200);
    const post = await openssl(
      ['ocsp', '-issuer', 'ca.pem', '-cert', 'app.pem', '-url', ocspUrl, '-CAfile', 'ca.pem'],
      work,
    );
    expect(post).toContain('app.pem: revoked');
    expect(post).toMatch(/Reason: keyCompromise/);
    expect(post).toMatch(/Revocation Time: /);
    await getOcsp(server.urls.pki!);
    expect(
      await openssl(
        ['ocsp', '-respin', 'resp.der', '-issuer', 'ca.pem', '-cert', 'app.pem', '-CAfile', 'ca.pem'],
        work,
      ),
    ).toContain('app.pem: revoked');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const replicaPost = await openssl(replicaOcsp, work);
    expect(replicaPost).toContain('app.pem: revoked');
    expect(replicaPost).toMatch(/Reason: keyCompromise/);
    await getOcsp(replica.urls.pki!);
    expect(
      await openssl(
        ['ocsp', '-respin', 'resp.der', '-issuer', 'ca.pem', '-cert', 'app.pem', '-CAfile', 'ca.pem'],
        work,
      ),
    ).toContain('app.pem: revoked');

    const crl = await fetch(`${server.urls.pki}/.well-known/pki/crl/iss-local`);
    expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
    writeFileSync(join(work, 'ca.crl'), Buffer.from(await crl.arrayBuffer()));
    const text = await openssl(
      ['crl', '-inform', 'DER', '-in', 'ca.crl', '-noout', '-text', '-CAfile', 'ca.pem'],
      work,
    );
    expect(text).toContain('verify OK');
    expect(text.toLowerCase().replace(/:/g, '')).toContain(String(revoked.json.serial).toLowerCase());
    await openssl(['crl', '-inform', 'DER', '-in', 'ca.crl', '-out', 'crl.pem'], work);
    expect(
      await openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'app.pem'], work),
    ).toContain('certificate revoked');
  });
});

describeEachDialect('per-address limit on the public PKI routes', (ctx) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      env: { CERTCTL_OCSP_RATE_LIMIT_PER_IP_MIN: '2' },
    });
  });
  afterAll(async () => server?.stop());

  it('answers tryLater with Retry-After once an address has used its allowance', async () => {
    const ask = () =>
      server.pki.inject({
        method: 'POST',
        url: '/.well-known/pki/ocsp/iss-local',
        headers: { 'content-type': 'application/ocsp-request' },
        payload: Buffer.from([0x30, 0x00]),
      });
    expect((await ask()).statusCode).toBe(200);
    expect((await ask()).statusCode).toBe(200);
    const limited = await ask();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(parseOcspResponse(new Uint8Array(limited.rawPayload)).status).toBe('tryLater');
    expect((await server.pki.inject({ method: 'GET', url: '/.well-known/pki/crl/iss-local' })).statusCode).toBe(429);
  });
});
