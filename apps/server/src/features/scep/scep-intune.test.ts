import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { loadScepEndpoints } from './scep-endpoints.js';
import { createTestConnector, type TestConnector } from './test-support/intune-connector.js';
import {
  ISSUER_ID,
  makeRa,
  opensslVerify,
  PKI,
  pki,
  pkiScepServerArgs,
  SCEPCLIENT,
  type ScepFixture,
  scepclient,
  startScepServer,
  writePrivate,
} from './test-support/scep-fixture.js';
import { buildPkiMessage, makeDevice, readCertRep } from './test-support/scep-test-client.js';

const AUDIENCE = 'https://certctl.test/scep/intune';

describeEachDialect('SCEP with Microsoft Intune dynamic challenges', (ctx) => {
  let fx: ScepFixture;
  let connector: TestConnector;
  let bundlePath: string;
  let url: string;
  let caPath: string;
  let rotated: TestConnector | undefined;

  beforeAll(async () => {
    for (const [path, pkg] of [
      [SCEPCLIENT, 'scep'],
      [PKI, 'strongswan-pki'],
    ] as const)
      if (!existsSync(path))
        throw new Error(`${path} is missing: apt-get install -y ${pkg} (tooling/services/ensure-test-services.mjs)`);
    connector = await createTestConnector('RS256');
    fx = await startScepServer(ctx, {}, (dir) => {
      bundlePath = join(dir, 'intune-connector.pem');
      writeFileSync(bundlePath, connector.certificatePem);
      return {
        CERTCTL_SCEP_PROFILES: 'intune',
        CERTCTL_SCEP_PROFILE_INTUNE_ISSUER_ID: ISSUER_ID,
        CERTCTL_SCEP_PROFILE_INTUNE_RA_CERT_PATH: join(dir, 'ra.crt'),
        CERTCTL_SCEP_PROFILE_INTUNE_RA_KEY_PATH: join(dir, 'ra.key'),
        CERTCTL_SCEP_PROFILE_INTUNE_INTUNE_ENABLED: 'true',
        CERTCTL_SCEP_PROFILE_INTUNE_INTUNE_CONNECTOR_CERT_PATH: bundlePath,
        CERTCTL_SCEP_PROFILE_INTUNE_INTUNE_AUDIENCE: AUDIENCE,
        CERTCTL_SCEP_PROFILE_INTUNE_INTUNE_PER_DEVICE_RATE_LIMIT_24H: '2',
      };
    });
    url = `${fx.url}/intune`;
    caPath = join(fx.dir, 'ca.pem');
    writeFileSync(caPath, fx.caPem);
  });
  afterAll(() => fx?.stop());

  const intuneCount = async () =>
    Number(
      (await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep&enrollment_profile=intune')).json
        .total,
    );

  /** A PKCSReq from our own test client, POSTed in process; resolves to the CertRep. */
  async function enrol(commonName: string, challenge: string) {
    const device = await makeDevice(commonName);
    const request = await buildPkiMessage({ device, raCertPem: fx.raCertPem, commonName, challenge });
    const res = await fx.server.pki.inject({
      method: 'POST',
      url: '/scep/intune?operation=PKIOperation',
      headers: { 'content-type': 'application/x-pki-message' },
      payload: Buffer.from(request.message),
    });
    return readCertRep(res.rawPayload, fx.raCertPem, device);
  }

  it('scepclient enrols with a Connector-signed challenge; openssl verifies it; the inventory files it under the profile', async () => {
    const challenge = await connector.challenge({
      sub: 'device-guid-1',
      aud: AUDIENCE,
      device_name: 'intune-laptop-1.corp.example',
    });
    const { cert, done } = scepclient(
      fx,
      'intune1',
      ['-cn', 'intune-laptop-1.corp.example', '-challenge', challenge],
      url,
    );
    expect(await done).toEqual({ failed: false, out: '' });
    expect(await opensslVerify(caPath, cert)).toBe(`${cert}: OK`);
    const issued = parseCertificate(readFileSync(cert, 'utf8'));
    const list = await call(
      fx.server.api,
      'GET',
      '/api/v1/certificates?enrollment_source=scep&enrollment_profile=intune',
    );
    const record = list.json.data!.find((c) => c.common_name === 'intune-laptop-1.corp.example');
    expect(record).toMatchObject({ status: 'active', enrollment_source: 'scep', enrollment_profile: 'intune' });
    const versions = await call(fx.server.api, 'GET', `/api/v1/certificates/${record!.id}/versions`);
    expect(versions.json.data![0]!.serial).toBe(issued.serialNumber);
    const audit = await call(fx.server.api, 'GET', '/api/v1/audit?action=scep_enrollment&per_page=200');
    expect(audit.json.data!.map((e) => e.details)).toContainEqual(
      expect.objectContaining({
        outcome: 'issued',
        certificate_id: record!.id,
        intune_device: 'device-guid-1',
        intune_connector: connector.installationId,
      }),
    );

    // The same challenge a second time (another key, same name): refused, nothing issued.
    const before = await intuneCount();
    const again = scepclient(
      fx,
      'intune1-replay',
      ['-cn', 'intune-laptop-1.corp.example', '-challenge', challenge],
      url,
    );
    const replay = await again.done;
    expect(replay.failed).toBe(true);
    expect(replay.out).toContain('failInfo: badRequest (2)');
    expect(existsSync(again.cert)).toBe(false);
    expect(await intuneCount()).toBe(before);
  });

  it('strongSwan pki --scep enrols with SANs the challenge names, and is refused with one it does not', async () => {
    await pki(
      ['--scepca', '--url', url, '--caout', 'intune-ca.pem', '--raout', 'intune-ra.pem', '--outform', 'pem'],
      fx.dir,
    );
    const raFile = readdirSync(fx.dir).find((f) => /^intune-ra.*\.pem$/.test(f))!;
    const caFile = readdirSync(fx.dir).find((f) => /^intune-ca.*\.pem$/.test(f))!;
    writeFileSync(
      join(fx.dir, 'gw.key'),
      await pki(['--gen', '--type', 'rsa', '--size', '2048', '--outform', 'pem'], fx.dir),
    );
    const enrolWith = async (challenge: string, san: string) =>
      pki(
        [
          '--scep',
          '--in',
          'gw.key',
          '--dn',
          'CN=gw.corp.example',
          '--san',
          san,
          '--password',
          challenge,
          ...pkiScepServerArgs(url, raFile, caFile),
        ],
        fx.dir,
      );
    const claims = { sub: 'gateway-1', aud: AUDIENCE, device_name: 'gw.corp.example', san_dns: ['gw.corp.example'] };
    const before = await intuneCount();
    await expect(enrolWith(await connector.challenge(claims), 'vpn.corp.example')).rejects.toThrow();
    expect(await intuneCount()).toBe(before);
    const pem = (await enrolWith(await connector.challenge(claims), 'gw.corp.example')).toString();
    writeFileSync(join(fx.dir, 'gw.crt'), pem);
    expect(await opensslVerify(caPath, join(fx.dir, 'gw.crt'))).toContain('OK');
    expect(parseCertificate(pem).sans).toEqual([{ type: 'dns', value: 'gw.corp.example' }]);
  });

  it('refuses wrong audience, expired, unsigned and foreign challenges with badRequest, and issues nothing', async () => {
    const before = await intuneCount();
    const now = Math.floor(Date.now() / 1000);
    const stranger = await createTestConnector('RS256');
    const refused = [
      await connector.challenge({ aud: 'https://elsewhere.example/scep', device_name: 'r1.corp.example' }),
      await connector.challenge({ aud: AUDIENCE, iat: now - 7200, exp: now - 3600, device_name: 'r1.corp.example' }),
      await stranger.challenge({ aud: AUDIENCE, device_name: 'r1.corp.example' }),
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'x', sub: 'y', aud: AUDIENCE, exp: now + 60 })).toString('base64url')}.`,
      'correct horse battery staple',
    ];
    for (const challenge of refused) {
      const rep = await enrol('r1.corp.example', challenge);
      expect(rep).toMatchObject({ pkiStatus: '2', failInfo: '2' });
    }
    expect(await intuneCount()).toBe(before);
  });

  it('limits enrolments per device in 24 hours, across fresh challenges', async () => {
    const claims = { sub: 'device-guid-limit', aud: AUDIENCE, device_name: 'limited.corp.example' };
    expect((await enrol('limited.corp.example', await connector.challenge(claims))).pkiStatus).toBe('0');
    expect((await enrol('limited.corp.example', await connector.challenge(claims))).pkiStatus).toBe('0');
    const third = await enrol('limited.corp.example', await connector.challenge(claims));
    expect(third).toMatchObject({ pkiStatus: '2', failInfo: '2' });
    // Another device is not held back by the first one's limit.
    const other = await enrol(
      'other.corp.example',
      await connector.challenge({ ...claims, sub: 'device-guid-other', device_name: 'other.corp.example' }),
    );
    expect(other.pkiStatus).toBe('0');
  });

  it('picks up a rotated Connector bundle without a restart, and keeps it when a rotation is broken', async () => {
    const next = await createTestConnector('ES256');
    rotated = next;
    writeFileSync(bundlePath, next.certificatePem);
    const claims = (name: string) => ({ aud: AUDIENCE, device_name: name });
    expect((await enrol('rot1.corp.example', await connector.challenge(claims('rot1.corp.example')))).pkiStatus).toBe(
      '2',
    );
    expect((await enrol('rot2.corp.example', await next.challenge(claims('rot2.corp.example')))).pkiStatus).toBe('0');
    writeFileSync(bundlePath, '-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n');
    expect((await enrol('rot3.corp.example', await next.challenge(claims('rot3.corp.example')))).pkiStatus).toBe('0');
    // Both Connectors of a fleet in one bundle: either one's challenges are accepted.
    writeFileSync(bundlePath, `${connector.certificatePem}${next.certificatePem}`);
    expect((await enrol('rot4.corp.example', await connector.challenge(claims('rot4.corp.example')))).pkiStatus).toBe(
      '0',
    );
  });

  it('counts challenges by result in the Prometheus metrics', async () => {
    const res = await call(fx.server.api, 'GET', '/metrics');
    expect(res.body).toMatch(/certctl_scep_intune_enrollments_total\{scep_profile="intune",result="accepted"\} \d+/);
    expect(res.body).toMatch(/certctl_scep_intune_enrollments_total\{scep_profile="intune",result="replay"\} 1/);
    expect(res.body).toMatch(/certctl_scep_intune_enrollments_total\{scep_profile="intune",result="rate_limited"\} 1/);
    // The bundle now holds both Connectors: the later notAfter of the two is reported.
    const latest = Math.max(
      ...[connector, rotated!].map((c) => parseCertificate(c.certificatePem).notAfter.getTime() / 1000),
    );
    expect(res.body).toContain(`certctl_scep_intune_connector_cert_not_after_seconds{scep_profile="intune"} ${latest}`);
  });
});

describe('SCEP Intune start-up checks', () => {
  let dir: string;
  let base: (over?: Record<string, string>) => Record<string, string>;
  beforeAll(async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    dir = mkdtempSync(join(tmpdir(), 'certctl-scep-intune-config-'));
    const ra = await makeRa(createTestCa({ keyAlgorithm: 'rsa-2048' }));
    writePrivate(join(dir, 'ra.crt'), ra.certPem);
    writePrivate(join(dir, 'ra.key'), ra.keyPem);
    writeFileSync(join(dir, 'connector.pem'), (await createTestConnector('ES256')).certificatePem);
    base = (over = {}) => ({
      CERTCTL_SCEP_ENABLED: 'true',
      CERTCTL_SCEP_ISSUER_ID: 'iss-x',
      CERTCTL_SCEP_RA_CERT_PATH: join(dir, 'ra.crt'),
      CERTCTL_SCEP_RA_KEY_PATH: join(dir, 'ra.key'),
      CERTCTL_SCEP_INTUNE_ENABLED: 'true',
      CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: join(dir, 'connector.pem'),
      ...over,
    });
  });

  it('reads the Intune variables with their defaults; no static challenge is needed', () => {
    const [profile] = loadConfig(base()).scep!.profiles;
    expect(profile!.challengePassword).toBeUndefined();
    expect(profile!.intune).toEqual({
      connectorCertPath: join(dir, 'connector.pem'),
      audience: undefined,
      challengeValidityMs: 3_600_000,
      clockSkewMs: 60_000,
      perDeviceLimit24h: 3,
    });
    const tuned = loadConfig(
      base({
        CERTCTL_SCEP_INTUNE_CHALLENGE_VALIDITY: '15m',
        CERTCTL_SCEP_INTUNE_CLOCK_SKEW_TOLERANCE: '30s',
        CERTCTL_SCEP_INTUNE_PER_DEVICE_RATE_LIMIT_24H: '0',
        CERTCTL_SCEP_INTUNE_AUDIENCE: AUDIENCE,
      }),
    ).scep!.profiles[0]!.intune;
    expect(tuned).toMatchObject({
      challengeValidityMs: 900_000,
      clockSkewMs: 30_000,
      perDeviceLimit24h: 0,
      audience: AUDIENCE,
    });
    expect([...loadScepEndpoints(loadConfig(base()).scep).values()][0]!.intune?.trust.current()).toHaveLength(1);
  });

  it('refuses a missing bundle path, bad values, skew not below validity, and a bundle that is missing, empty or expired', async () => {
    expect(() => loadConfig(base({ CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: '' }))).toThrow(
      /CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: required when CERTCTL_SCEP_INTUNE_ENABLED is true/,
    );
    expect(() => loadConfig(base({ CERTCTL_SCEP_INTUNE_ENABLED: 'maybe' }))).toThrow(/CERTCTL_SCEP_INTUNE_ENABLED/);
    expect(() => loadConfig(base({ CERTCTL_SCEP_INTUNE_CHALLENGE_VALIDITY: 'an hour' }))).toThrow(
      /CERTCTL_SCEP_INTUNE_CHALLENGE_VALIDITY: expected a duration/,
    );
    expect(() => loadConfig(base({ CERTCTL_SCEP_INTUNE_PER_DEVICE_RATE_LIMIT_24H: '-1' }))).toThrow(
      /CERTCTL_SCEP_INTUNE_PER_DEVICE_RATE_LIMIT_24H: expected a whole number/,
    );
    expect(() =>
      loadConfig(
        base({ CERTCTL_SCEP_INTUNE_CHALLENGE_VALIDITY: '1m', CERTCTL_SCEP_INTUNE_CLOCK_SKEW_TOLERANCE: '1m' }),
      ),
    ).toThrow(/CERTCTL_SCEP_INTUNE_CLOCK_SKEW_TOLERANCE: must be shorter than CERTCTL_SCEP_INTUNE_CHALLENGE_VALIDITY/);
    const endpoints = (path: string) => () =>
      loadScepEndpoints(loadConfig(base({ CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: path })).scep);
    expect(endpoints(join(dir, 'nope.pem'))).toThrow(/CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: .*nope\.pem/);
    writeFileSync(join(dir, 'empty.pem'), '');
    expect(endpoints(join(dir, 'empty.pem'))).toThrow(
      /CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: .*holds no PEM certificate/,
    );
    const expired = await createTestConnector('RS256', {
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    writeFileSync(join(dir, 'expired.pem'), expired.certificatePem);
    expect(endpoints(join(dir, 'expired.pem'))).toThrow(/CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: .*has expired/);
  });
});
