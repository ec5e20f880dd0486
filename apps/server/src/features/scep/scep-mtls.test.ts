import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import {
  CHALLENGE,
  ISSUER_ID,
  opensslClient,
  opensslVerify,
  run,
  type ScepFixture,
  startScepServer,
} from './test-support/scep-fixture.js';
import { buildPkiMessage, makeDevice, readCertRep } from './test-support/scep-test-client.js';

describeEachDialect('SCEP mTLS sibling route (/scep-mtls/<profile>)', (ctx) => {
  let fx: ScepFixture;
  let work: string;
  let api: string;
  const file = (name: string) => join(work, name);

  /** curl against the HTTPS listener (the server runs in this process, so not execFileSync). */
  const curl = async (path: string, args: string[] = []) => {
    const { stdout } = await run(
      'curl',
      ['-sS', '-k', '-o', file('body.bin'), '-w', '%{http_code}', ...args, `${api}${path}`],
      { cwd: work },
    );
    return { status: Number(stdout), body: readFileSync(file('body.bin')) };
  };
  const asFleet = ['--cert', 'fleet.pem', '--key', 'fleet.key'];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'certctl-scep-mtls-'));
    opensslClient(work, 'fleet');
    opensslClient(work, 'stranger');
    copyFileSync(file('fleet-ca.pem'), file('bundle.pem'));
    fx = await startScepServer(ctx, {}, (dir) => ({
      CERTCTL_SCEP_PROFILES: 'fleet',
      CERTCTL_SCEP_PROFILE_FLEET_ISSUER_ID: ISSUER_ID,
      CERTCTL_SCEP_PROFILE_FLEET_CHALLENGE_PASSWORD: CHALLENGE,
      CERTCTL_SCEP_PROFILE_FLEET_RA_CERT_PATH: join(dir, 'ra.crt'),
      CERTCTL_SCEP_PROFILE_FLEET_RA_KEY_PATH: join(dir, 'ra.key'),
      CERTCTL_SCEP_PROFILE_FLEET_MTLS_ENABLED: 'true',
      CERTCTL_SCEP_PROFILE_FLEET_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: file('bundle.pem'),
    }));
    api = fx.server.urls.api!;
  });
  afterAll(async () => {
    await fx?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers GetCACaps to a client certificate from the bundle, and 403 without one or with a stranger', async () => {
    const allowed = await curl('/scep-mtls/fleet?operation=GetCACaps', asFleet);
    expect(allowed.status).toBe(200);
    expect(allowed.body.toString()).toContain('POSTPKIOperation');
    const none = await curl('/scep-mtls/fleet?operation=GetCACaps');
    expect(none.status).toBe(403);
    expect(none.body.toString()).toMatch(/requires a TLS client certificate/);
    const stranger = await curl('/scep-mtls/fleet?operation=GetCACaps', [
      '--cert',
      'stranger.pem',
      '--key',
      'stranger.key',
    ]);
    expect(stranger.status).toBe(403);
    expect(stranger.body.toString()).toMatch(/client certificate rejected/);
  });

  it('enrols over POST with the client certificate (the challenge still applies); openssl verifies the result', async () => {
    const count = async () =>
      Number((await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep')).json.total);
    const before = await count();
    const device = await makeDevice('mtls.fleet.example.com');
    const request = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'mtls.fleet.example.com',
      challenge: CHALLENGE,
    });
    writeFileSync(file('req.der'), request.message);
    const post = ['-H', 'content-type: application/x-pki-message', '--data-binary', '@req.der'];

    // Refused before any SCEP processing without the client certificate: nothing is issued.
    expect((await curl('/scep-mtls/fleet?operation=PKIOperation', post)).status).toBe(403);
    expect(await count()).toBe(before);

    const answer = await curl('/scep-mtls/fleet?operation=PKIOperation', [...asFleet, ...post]);
    expect(answer.status).toBe(200);
    const rep = await readCertRep(answer.body, fx.raCertPem, device);
    expect(rep).toMatchObject({ pkiStatus: '0', transactionId: request.transactionId });
    writeFileSync(file('issued.pem'), parseCertificate(rep.certificates[0]!).pem);
    writeFileSync(file('scep-ca.pem'), fx.caPem);
    expect(await opensslVerify(file('scep-ca.pem'), file('issued.pem'))).toBe(`${file('issued.pem')}: OK`);
    expect(await count()).toBe(before + 1);

    // A wrong challenge over mTLS is still a FAILURE CertRep.
    const other = await makeDevice('wrong.fleet.example.com');
    const wrong = await buildPkiMessage({
      device: other,
      raCertPem: fx.raCertPem,
      commonName: 'wrong.fleet.example.com',
      challenge: 'not it',
    });
    writeFileSync(file('req.der'), wrong.message);
    const refused = await curl('/scep-mtls/fleet?operation=PKIOperation', [...asFleet, ...post]);
    expect(refused.status).toBe(200);
    expect((await readCertRep(refused.body, fx.raCertPem, other)).pkiStatus).toBe('2');
    expect(await count()).toBe(before + 1);
  });

  it('is only on the HTTPS listener, and only for profiles that enable it', async () => {
    expect(
      (await fx.server.pki.inject({ method: 'GET', url: '/scep-mtls/fleet?operation=GetCACaps' })).statusCode,
    ).toBe(404);
    // The default /scep profile of the fixture has no mTLS route.
    expect((await curl('/scep-mtls?operation=GetCACaps', asFleet)).status).toBe(404);
    expect((await curl('/scep/fleet?operation=GetCACaps')).status).toBe(200);
  });

  it('follows a rotated client CA bundle without a restart', async () => {
    copyFileSync(file('stranger-ca.pem'), file('bundle.pem'));
    expect((await curl('/scep-mtls/fleet?operation=GetCACaps', asFleet)).status).toBe(403);
    expect(
      (await curl('/scep-mtls/fleet?operation=GetCACaps', ['--cert', 'stranger.pem', '--key', 'stranger.key'])).status,
    ).toBe(200);
    copyFileSync(file('fleet-ca.pem'), file('bundle.pem'));
    expect((await curl('/scep-mtls/fleet?operation=GetCACaps', asFleet)).status).toBe(200);
  });
});
