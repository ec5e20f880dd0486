import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { call } from '../../testing/api-fixtures.js';
import { withSignatureUnusedBits } from '../../testing/csr-mutations.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { MESSAGE_TYPES } from './scep-attributes.js';
import { loadScepEndpoints } from './scep-endpoints.js';
import {
  CHALLENGE,
  makeRa,
  opensslClient,
  opensslVerify,
  type ScepFixture,
  startScepServer,
  writePrivate,
} from './test-support/scep-fixture.js';
import { buildPkiMessage, makeDevice, readCertRep } from './test-support/scep-test-client.js';

describeEachDialect('SCEP PKIOperation', (ctx) => {
  let fx: ScepFixture;
  beforeAll(async () => {
    fx = await startScepServer(ctx, { CERTCTL_MAX_BODY_SIZE: '65536' });
  });
  afterAll(() => fx?.stop());

  const post = (body: Uint8Array, path = '/scep') =>
    fx.server.pki.inject({
      method: 'POST',
      url: `${path}?operation=PKIOperation`,
      headers: { 'content-type': 'application/x-pki-message' },
      payload: Buffer.from(body),
    });
  const count = async () =>
    Number((await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep')).json.total);

  it('issues over GET (base64 message) with the nonces and transaction echoed, encrypted to the requester', async () => {
    const device = await makeDevice('get.example.com');
    const req = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'get.example.com',
      challenge: CHALLENGE,
    });
    const res = await fx.server.pki.inject({
      method: 'GET',
      url: `/scep?operation=PKIOperation&message=${encodeURIComponent(Buffer.from(req.message).toString('base64'))}`,
    });
    expect(res.headers['content-type']).toContain('application/x-pki-message');
    const rep = await readCertRep(res.rawPayload, fx.raCertPem, device);
    expect(rep).toMatchObject({ pkiStatus: '0', transactionId: req.transactionId });
    expect(Buffer.from(rep.recipientNonce).equals(req.senderNonce)).toBe(true);
    const cert = parseCertificate(rep.certificates[0]!);
    const certPath = join(fx.dir, 'get.crt');
    const caPath = join(fx.dir, 'ca-get.pem');
    writeFileSync(certPath, cert.pem);
    writeFileSync(caPath, fx.caPem);
    expect(await opensslVerify(caPath, certPath)).toBe(`${certPath}: OK`);
  });

  it('answers 3DES requests in 3DES and the CertRep verifies with openssl cms', async () => {
    const device = await makeDevice('des3.example.com');
    const req = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'des3.example.com',
      challenge: CHALLENGE,
      contentEncryption: 'des-ede3-cbc',
    });
    const res = await post(req.message);
    const repPath = join(fx.dir, 'rep.der');
    writeFileSync(repPath, res.rawPayload);
    writeFileSync(join(fx.dir, 'ca-rep.pem'), fx.caPem);
    const { run } = await import('./test-support/scep-fixture.js');
    await run('openssl', [
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      repPath,
      '-CAfile',
      join(fx.dir, 'ca-rep.pem'),
      '-purpose',
      'any',
      '-out',
      join(fx.dir, 'rep-env.der'),
    ]);
    const rep = await readCertRep(res.rawPayload, fx.raCertPem, device);
    expect(rep.pkiStatus).toBe('0');
  });

  it.each([
    ['a wrong challenge', { challenge: 'nope' }, '2'],
    ['no challenge', { challenge: undefined }, '2'],
    ['an envelope for another RA', { otherRa: true }, '1'],
    ['a signer whose key is not the CSR key', { foreignSigner: true }, '1'],
    ['a garbage CSR in a valid envelope', { payload: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) }, '2'],
    ['an unsupported messageType (GetCRL)', { messageType: MESSAGE_TYPES.getCrl }, '2'],
    ['GetCertInitial (no pending transaction)', { messageType: MESSAGE_TYPES.certPoll }, '4'],
  ] as const)('refuses %s with a signed FAILURE CertRep and changes nothing', async (_name, variant, failInfo) => {
    const before = await count();
    const device = await makeDevice('refused.example.com');
    const v = variant as {
      challenge?: string;
      otherRa?: boolean;
      foreignSigner?: boolean;
      payload?: Uint8Array;
      messageType?: number;
    };
    const raCertPem = v.otherRa ? (await makeRa(createTestCa({ keyAlgorithm: 'rsa-2048' }))).certPem : fx.raCertPem;
    const other = v.foreignSigner ? await makeDevice('other.example.com') : undefined;
    const req = await buildPkiMessage({
      device,
      raCertPem,
      commonName: 'refused.example.com',
      challenge: 'challenge' in v ? v.challenge : CHALLENGE,
      payload: v.payload,
      messageType: v.messageType,
      signer: other && { certPem: other.selfSignedPem, key: other.keys.privateKey },
    });
    const res = await post(req.message);
    expect(res.statusCode).toBe(200);
    const rep = await readCertRep(res.rawPayload, fx.raCertPem, device);
    expect(rep).toMatchObject({ pkiStatus: '2', failInfo, transactionId: req.transactionId });
    expect(rep.certificates).toEqual([]);
    expect(await count()).toBe(before);
  });

  it('a tampered signature gets badMessageCheck', async () => {
    const device = await makeDevice('tamper.example.com');
    const req = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'tamper.example.com',
      challenge: CHALLENGE,
    });
    const tampered = Uint8Array.from(req.message);
    tampered[tampered.length - 5]! ^= 0xff; // inside the signature value
    const rep = await readCertRep((await post(tampered)).rawPayload, fx.raCertPem, device);
    expect(rep).toMatchObject({ pkiStatus: '2', failInfo: '1' });
  });

  it('garbage, truncated PKCS#7 and oversized bodies get HTTP errors and issue nothing (fast-check)', async () => {
    const before = await count();
    const device = await makeDevice('fuzz.example.com');
    const req = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'fuzz.example.com',
      challenge: CHALLENGE,
    });
    let issued = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.integer({ min: 0, max: req.message.length - 1 }).map((n) => req.message.slice(0, n)),
          fc
            .tuple(fc.integer({ min: 0, max: req.message.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([i, x]) => {
              const m = Uint8Array.from(req.message);
              m[i]! ^= x;
              return m;
            }),
        ),
        async (body) => {
          const res = await post(body);
          // Either a plain 400 (not a PKIMessage) or a signed CertRep; never a 5xx. A flipped byte
          // outside what the signature covers (e.g. the self-signed certificate's own signature)
          // leaves an authentic request, which may be issued: those are counted.
          expect([200, 400]).toContain(res.statusCode);
          if (res.statusCode === 200) {
            const rep = await readCertRep(res.rawPayload, fx.raCertPem, device);
            expect(['0', '2']).toContain(rep.pkiStatus);
            if (rep.pkiStatus === '0') issued++;
          }
        },
      ),
      { numRuns: 40 },
    );
    const big = await post(new Uint8Array(70_000));
    expect(big.statusCode).toBe(413);
    expect(await count()).toBe(before + issued);
  });

  it('refuses a CSR whose signature BIT STRING declares 4 unused bits with badMessageCheck', async () => {
    const before = await count();
    const device = await makeDevice('bits.example.com');
    const { createCsr } = await import('@certctl/pki');
    const csr = await createCsr({
      keys: device.keys,
      subject: { CN: 'bits.example.com' },
      challengePassword: CHALLENGE,
    });
    const req = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'bits.example.com',
      payload: withSignatureUnusedBits(csr.der, 4),
    });
    const rep = await readCertRep((await post(req.message)).rawPayload, fx.raCertPem, device);
    expect(rep).toMatchObject({ pkiStatus: '2', failInfo: '1' });
    expect(await count()).toBe(before);
  });

  it('any transactionID, messageType and senderNonce gets a signed FAILURE CertRep echoing them, or a 400; never a 5xx (fast-check)', async () => {
    const before = await count();
    const device = await makeDevice('fields.example.com');
    const derValue = (tag: number, bytes: Uint8Array) => {
      const length =
        bytes.length < 0x80
          ? [bytes.length]
          : bytes.length < 0x100
            ? [0x81, bytes.length]
            : [0x82, bytes.length >> 8, bytes.length & 0xff];
      return Uint8Array.from([tag, ...length, ...bytes]);
    };
    const STRING_TAGS = { printable: 0x13, utf8: 0x0c, ia5: 0x16, bmp: 0x1e, octets: 0x04 } as const;
    const transactionId = fc.record({
      text: fc.oneof(
        fc.string({ minLength: 0, maxLength: 140 }),
        fc.stringMatching(/^[A-Za-z0-9_*@&!#$%;<>[\]^{|}~"`-]{1,40}$/),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
      ),
      tag: fc.constantFrom(...(Object.keys(STRING_TAGS) as (keyof typeof STRING_TAGS)[])),
    });
    const messageType = fc.oneof(
      fc.constantFrom('19', '17', '20', '21', '22', '3', '0x13', ' 19', '1e1', ''),
      fc.string({ maxLength: 12 }),
    );
    const senderNonce = fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.constant(undefined));
    await fc.assert(
      fc.asyncProperty(transactionId, messageType, senderNonce, async (id, type, nonce) => {
        const idBytes = id.tag === 'utf8' ? Buffer.from(id.text, 'utf8') : Buffer.from(id.text, 'latin1');
        const req = await buildPkiMessage({
          device,
          raCertPem: fx.raCertPem,
          commonName: 'fields.example.com',
          challenge: 'not the challenge',
          attributeValues: {
            transactionId: derValue(STRING_TAGS[id.tag], idBytes),
            messageType: derValue(STRING_TAGS.printable, Buffer.from(type, 'latin1')),
            ...(nonce && { senderNonce: derValue(STRING_TAGS.octets, nonce) }),
          },
        });
        const res = await post(req.message);
        expect([200, 400], res.body).toContain(res.statusCode);
        if (res.statusCode === 400) {
          expect(res.headers['content-type']).toContain('text/plain');
          return;
        }
        expect(res.headers['content-type']).toContain('application/x-pki-message');
        const rep = await readCertRep(res.rawPayload, fx.raCertPem, device);
        expect(rep.pkiStatus).toBe('2');
        expect(rep.transactionId).toBe(idBytes.toString(id.tag === 'utf8' ? 'utf8' : 'latin1'));
        expect(Buffer.from(rep.recipientNonce).equals(nonce ? Buffer.from(nonce) : req.senderNonce)).toBe(true);
      }),
      { numRuns: 60 },
    );
    // The reported case: a UTF8String transactionID with `_` and `*` (no PrintableString can hold them).
    const reported = await buildPkiMessage({
      device,
      raCertPem: fx.raCertPem,
      commonName: 'fields.example.com',
      challenge: 'not the challenge',
      attributeValues: { transactionId: derValue(STRING_TAGS.utf8, Buffer.from('tx_1*2')) },
    });
    const res = await post(reported.message);
    expect(res.statusCode).toBe(200);
    expect(await readCertRep(res.rawPayload, fx.raCertPem, device)).toMatchObject({
      pkiStatus: '2',
      transactionId: 'tx_1*2',
    });
    expect(await count()).toBe(before);
  });

  it('unknown profile and operation are refused', async () => {
    expect((await fx.server.pki.inject({ method: 'GET', url: '/scep/nope?operation=GetCACaps' })).statusCode).toBe(404);
    expect((await fx.server.pki.inject({ method: 'GET', url: '/scep?operation=GetNextCACert' })).statusCode).toBe(400);
  });
});

describe('SCEP start-up checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certctl-scep-config-'));
  const base = (over: Record<string, string> = {}) => ({
    CERTCTL_SCEP_ENABLED: 'true',
    CERTCTL_SCEP_ISSUER_ID: 'iss-x',
    CERTCTL_SCEP_CHALLENGE_PASSWORD: 'pw',
    CERTCTL_SCEP_RA_CERT_PATH: join(dir, 'ra.crt'),
    CERTCTL_SCEP_RA_KEY_PATH: join(dir, 'ra.key'),
    ...over,
  });
  beforeAll(async () => {
    const ra = await makeRa(createTestCa({ keyAlgorithm: 'rsa-2048' }));
    writePrivate(join(dir, 'ra.crt'), ra.certPem);
    writePrivate(join(dir, 'ra.key'), ra.keyPem);
  });

  it('loads legacy and named profiles', () => {
    const config = loadConfig({
      ...base(),
      CERTCTL_SCEP_PROFILES: 'corp-wifi',
      CERTCTL_SCEP_PROFILE_CORP_WIFI_ISSUER_ID: 'iss-y',
      CERTCTL_SCEP_PROFILE_CORP_WIFI_CHALLENGE_PASSWORD: 'pw2',
      CERTCTL_SCEP_PROFILE_CORP_WIFI_RA_CERT_PATH: join(dir, 'ra.crt'),
      CERTCTL_SCEP_PROFILE_CORP_WIFI_RA_KEY_PATH: join(dir, 'ra.key'),
    });
    expect(config.scep?.profiles.map((p) => [p.path, p.issuerId])).toEqual([
      ['', 'iss-x'],
      ['corp-wifi', 'iss-y'],
    ]);
    expect([...loadScepEndpoints(config.scep).keys()]).toEqual(['', 'corp-wifi']);
  });

  it('refuses a missing challenge, unknown variables and RA files readable by others', () => {
    expect(() => loadConfig(base({ CERTCTL_SCEP_CHALLENGE_PASSWORD: '' }))).toThrow(
      /CERTCTL_SCEP_CHALLENGE_PASSWORD: required/,
    );
    expect(() => loadConfig(base({ CERTCTL_SCEP_PROFILE_X_ISSUER_ID: 'a' }))).toThrow(
      /CERTCTL_SCEP_PROFILE_X_ISSUER_ID: unknown SCEP variable/,
    );
    expect(() => loadConfig(base({ CERTCTL_SCEP_PROFILES: 'Bad_Name' }))).toThrow(/CERTCTL_SCEP_PROFILES/);
    chmodSync(join(dir, 'ra.key'), 0o640);
    expect(() => loadScepEndpoints(loadConfig(base()).scep)).toThrow(
      /CERTCTL_SCEP_RA_KEY_PATH: .* has mode 640; run chmod 600/,
    );
    chmodSync(join(dir, 'ra.key'), 0o600);
    chmodSync(join(dir, 'ra.crt'), 0o644);
    expect(() => loadScepEndpoints(loadConfig(base()).scep)).toThrow(/CERTCTL_SCEP_RA_CERT_PATH: .* has mode 644/);
    chmodSync(join(dir, 'ra.crt'), 0o600);
    expect(() => loadScepEndpoints(loadConfig(base({ CERTCTL_SCEP_RA_CERT_PATH: join(dir, 'nope') })).scep)).toThrow(
      /cannot read/,
    );
  });

  it('mTLS route: needs a bundle when enabled, refuses an empty one, and loads a good one', () => {
    opensslClient(dir, 'ok');
    writeFileSync(join(dir, 'empty.pem'), '');
    const mtls = (over: Record<string, string> = {}) => base({ CERTCTL_SCEP_MTLS_ENABLED: 'true', ...over });
    expect(() => loadConfig(mtls())).toThrow(
      /CERTCTL_SCEP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: required when CERTCTL_SCEP_MTLS_ENABLED is true/,
    );
    expect(() => loadConfig(mtls({ CERTCTL_SCEP_MTLS_ENABLED: 'sometimes' }))).toThrow(/CERTCTL_SCEP_MTLS_ENABLED/);
    const empty = loadConfig(mtls({ CERTCTL_SCEP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: join(dir, 'empty.pem') }));
    expect(() => loadScepEndpoints(empty.scep)).toThrow(
      /CERTCTL_SCEP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: .*no PEM certificate/,
    );
    const good = loadConfig(mtls({ CERTCTL_SCEP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: join(dir, 'ok-ca.pem') }));
    expect(loadScepEndpoints(good.scep).get('')?.mtls?.current()).toHaveLength(1);
    // Off by default: no bundle is loaded.
    expect(loadScepEndpoints(loadConfig(base()).scep).get('')?.mtls).toBeUndefined();
  });
});
