import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import {
  CHALLENGE,
  opensslVerify,
  PKI,
  pki,
  pkiScepServerArgs,
  type ScepFixture,
  startScepServer,
} from './test-support/scep-fixture.js';

describeEachDialect('SCEP with strongSwan pki', (ctx) => {
  let fx: ScepFixture;
  let caPath: string;
  beforeAll(async () => {
    if (!existsSync(PKI))
      throw new Error(
        'strongSwan pki is missing: apt-get install -y strongswan-pki (tooling/services/ensure-test-services.mjs installs it)',
      );
    fx = await startScepServer(ctx);
    caPath = join(fx.dir, 'ca-root.pem');
    writeFileSync(caPath, fx.caPem);
  });
  afterAll(() => fx?.stop());

  it('pki --scepca fetches the CA and the RA certificates', async () => {
    await pki(['--scepca', '--url', fx.url, '--caout', 'ca.pem', '--raout', 'ra.pem', '--outform', 'pem'], fx.dir);
    const files = readdirSync(fx.dir).filter((f) => /^(ca|ra).*\.pem$/.test(f));
    const subjects = files.map((f) => parseCertificate(readFileSync(join(fx.dir, f), 'utf8')).subject);
    expect(subjects).toEqual(
      expect.arrayContaining([expect.stringContaining('certctl SCEP RA'), expect.stringContaining('certctl test CA')]),
    );
  });

  it('pki --scep enrols, then renews with the old certificate (RenewalReq); openssl verifies both', async () => {
    const raFile = readdirSync(fx.dir).find((f) => /^ra.*\.pem$/.test(f))!;
    const caFile = readdirSync(fx.dir).find((f) => /^ca.*\.pem$/.test(f) && f !== 'ca-root.pem')!;
    writeFileSync(
      join(fx.dir, 'vpn.key'),
      await pki(['--gen', '--type', 'rsa', '--size', '2048', '--outform', 'pem'], fx.dir),
    );
    const common = [
      '--dn',
      'CN=vpn1.example.com',
      '--san',
      'vpn1.example.com',
      ...pkiScepServerArgs(fx.url, raFile, caFile),
    ];
    const first = await pki(['--scep', '--in', 'vpn.key', '--password', CHALLENGE, ...common], fx.dir);
    writeFileSync(join(fx.dir, 'vpn.crt'), first);
    expect(await opensslVerify(caPath, join(fx.dir, 'vpn.crt'))).toContain('OK');
    const issued = parseCertificate(first.toString());

    writeFileSync(
      join(fx.dir, 'vpn2.key'),
      await pki(['--gen', '--type', 'rsa', '--size', '2048', '--outform', 'pem'], fx.dir),
    );
    const renewed = await pki(
      ['--scep', '--in', 'vpn2.key', '--cert', 'vpn.crt', '--key', 'vpn.key', ...common],
      fx.dir,
    );
    writeFileSync(join(fx.dir, 'vpn2.crt'), renewed);
    expect(await opensslVerify(caPath, join(fx.dir, 'vpn2.crt'))).toContain('OK');
    const second = parseCertificate(renewed.toString());
    expect(second.serialNumber).not.toBe(issued.serialNumber);

    // Same managed certificate, two versions: the renewal went through the certificate service.
    const list = await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep');
    const records = list.json.data!.filter((c) => c.common_name === 'vpn1.example.com');
    expect(records).toHaveLength(1);
    const versions = await call(fx.server.api, 'GET', `/api/v1/certificates/${records[0]!.id}/versions`);
    expect(versions.json.data!.map((v) => v.serial).sort()).toEqual([issued.serialNumber, second.serialNumber].sort());
  });
});
