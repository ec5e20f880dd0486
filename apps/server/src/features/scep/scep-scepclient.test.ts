import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import {
  CHALLENGE,
  opensslVerify,
  run,
  SCEPCLIENT,
  type ScepFixture,
  scepclient,
  startScepServer,
} from './test-support/scep-fixture.js';

describeEachDialect('SCEP with micromdm scepclient', (ctx) => {
  let fx: ScepFixture;
  beforeAll(async () => {
    if (!existsSync(SCEPCLIENT))
      throw new Error(
        'scepclient is missing: apt-get install -y scep (tooling/services/ensure-test-services.mjs installs it)',
      );
    fx = await startScepServer(ctx);
  });
  afterAll(() => fx?.stop());

  it('answers GetCACaps with the advertised capabilities', async () => {
    const res = await fetch(`${fx.url}?operation=GetCACaps`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim().split('\n')).toEqual([
      'POSTPKIOperation',
      'SHA-256',
      'SHA-384',
      'SHA-512',
      'AES',
      'SCEPStandard',
      'Renewal',
    ]);
  });

  it('GetCACert returns RA and CA as a degenerate PKCS#7 that openssl reads', async () => {
    const res = await fetch(`${fx.url}?operation=GetCACert`);
    expect(res.headers.get('content-type')).toContain('application/x-x509-ca-ra-cert');
    const p7 = join(fx.dir, 'cacert.p7b');
    writeFileSync(p7, Buffer.from(await res.arrayBuffer()));
    const { stdout } = await run('openssl', ['pkcs7', '-inform', 'DER', '-in', p7, '-print_certs', '-noout']);
    expect(stdout).toContain('certctl SCEP RA');
    expect(stdout).toContain('certctl test CA');
  });

  it('enrols with scepclient; openssl verifies the certificate and the inventory records it as SCEP', async () => {
    const { cert, done } = scepclient(fx, 'device1', ['-cn', 'device1.example.com', '-challenge', CHALLENGE]);
    expect(await done).toEqual({ failed: false, out: '' });
    const caPath = join(fx.dir, 'ca.pem');
    writeFileSync(caPath, fx.caPem);
    expect(await opensslVerify(caPath, cert)).toBe(`${cert}: OK`);
    const issued = parseCertificate(readFileSync(cert, 'utf8'));
    expect(issued.subject).toContain('device1.example.com');
    const list = await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep');
    const record = list.json.data!.find((c) => c.common_name === 'device1.example.com');
    expect(record).toMatchObject({
      status: 'active',
      issuer_id: 'iss-scep-test',
      enrollment_source: 'scep',
      enrollment_profile: 'default',
      tags: {},
    });
    const versions = await call(fx.server.api, 'GET', `/api/v1/certificates/${record!.id}/versions`);
    expect(versions.json.data![0]!.serial).toBe(issued.serialNumber);
  });

  it('refuses a wrong challenge with a FAILURE CertRep and issues nothing', async () => {
    const before = await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep');
    const { cert, done } = scepclient(fx, 'intruder', ['-cn', 'intruder.example.com', '-challenge', 'wrong']);
    const result = await done;
    expect(result.failed).toBe(true);
    expect(result.out).toContain('failInfo: badRequest (2)');
    expect(existsSync(cert)).toBe(false);
    const after = await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep');
    expect(after.json.total).toBe(before.json.total);
  });
});
