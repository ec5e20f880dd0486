import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, generateKeyPair, type ParsedCertificate, parseCertificate, parseCsr } from '@certctl/pki';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type IntuneClaim, IntuneChallengeError, verifyIntuneChallenge } from './intune-challenge.js';
import { csrMismatch } from './intune-csr-binding.js';
import { createTestConnector, type TestConnector } from './test-support/intune-connector.js';

const HOUR = 3_600_000;
const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IntuneChallengeError) return `${error.reason}: ${error.message}`;
    throw error;
  }
  throw new Error('the challenge was accepted');
}

describe('Intune challenge verification', () => {
  let rsa: TestConnector;
  let ec: TestConnector;
  let stranger: TestConnector;
  let trust: ParsedCertificate[];
  const options = (over: Partial<Parameters<typeof verifyIntuneChallenge>[1]> = {}) => ({
    trust,
    validityMs: HOUR,
    clockSkewMs: 60_000,
    now: new Date(),
    ...over,
  });

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([
      createTestConnector('RS256'),
      createTestConnector('ES256'),
      createTestConnector('RS256'),
    ]);
    trust = [parseCertificate(rsa.certificatePem), parseCertificate(ec.certificatePem)];
  });

  it.each(['RS256', 'ES256'] as const)('accepts a %s challenge and returns its claims', async (alg) => {
    const connector = alg === 'RS256' ? rsa : ec;
    const token = await connector.challenge({
      sub: 'device-1',
      aud: 'https://certctl.example/scep/intune',
      device_name: 'laptop-1',
      san_dns: ['laptop-1.corp.example'],
    });
    const claim = await verifyIntuneChallenge(token, options({ audience: 'https://certctl.example/scep/intune' }));
    expect(claim).toMatchObject({
      issuer: connector.installationId,
      subject: 'device-1',
      audience: ['https://certctl.example/scep/intune'],
      deviceName: 'laptop-1',
      sanDns: ['laptop-1.corp.example'],
      sanRfc822: [],
    });
    expect(claim.replayKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts an RS256 challenge signed by openssl, not only by our JOSE library', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certctl-intune-'));
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      join(dir, 'k.pem'),
    ]);
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'k.pem'),
      '-subj',
      '/CN=Intune Connector',
      '-days',
      '2',
      '-out',
      join(dir, 'c.pem'),
    ]);
    const now = Math.floor(Date.now() / 1000);
    const signingInput = `${b64url('{"alg":"RS256","typ":"JWT"}')}.${b64url(JSON.stringify({ iss: 'connector-7', sub: 'dev-7', iat: now, exp: now + 300 }))}`;
    writeFileSync(join(dir, 'input'), signingInput);
    execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-sign',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'sig'),
      join(dir, 'input'),
    ]);
    const token = `${signingInput}.${b64url(readFileSync(join(dir, 'sig')))}`;
    const certificate = parseCertificate(readFileSync(join(dir, 'c.pem'), 'utf8'));
    await expect(verifyIntuneChallenge(token, options({ trust: [certificate] }))).resolves.toMatchObject({
      subject: 'dev-7',
      issuer: 'connector-7',
    });
  });

  it('refuses alg "none", HMAC algorithms and signatures by a key outside the bundle', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = b64url(JSON.stringify({ iss: 'c', sub: 'd', iat: now, exp: now + 60 }));
    expect(await refusal(verifyIntuneChallenge(`${b64url('{"alg":"none"}')}.${body}.AAAA`, options()))).toMatch(
      /^signature: .*alg "none"/,
    );
    expect(await refusal(verifyIntuneChallenge(`${b64url('{"alg":"HS256"}')}.${body}.AAAA`, options()))).toMatch(
      /^signature: .*only RS256 and ES256/,
    );
    expect(await refusal(verifyIntuneChallenge(await stranger.challenge(), options()))).toMatch(
      /^signature: .*does not verify with any certificate/,
    );
    // An ES256 header on an RSA signature finds no P-256 key that verifies it.
    const rsaToken = await rsa.challenge();
    const [, payload, signature] = rsaToken.split('.');
    expect(
      await refusal(verifyIntuneChallenge(`${b64url('{"alg":"ES256"}')}.${payload}.${signature}`, options())),
    ).toMatch(/^signature:/);
  });

  it('refuses a challenge whose payload was altered after signing', async () => {
    const [header, , signature] = (await rsa.challenge({ sub: 'device-a' })).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = b64url(JSON.stringify({ iss: rsa.installationId, sub: 'device-b', iat: now, exp: now + 60 }));
    expect(await refusal(verifyIntuneChallenge(`${header}.${forged}.${signature}`, options()))).toMatch(/^signature:/);
  });

  it('ignores Connector certificates that are expired or not yet valid', async () => {
    const old = await createTestConnector('RS256', {
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const token = await old.challenge();
    expect(
      await refusal(verifyIntuneChallenge(token, options({ trust: [parseCertificate(old.certificatePem)] }))),
    ).toMatch(/^signature: no currently valid certificate/);
  });

  it('checks time bounds with the clock skew tolerance and caps the life of a challenge', async () => {
    const now = Math.floor(Date.now() / 1000);
    const at = (seconds: number) => new Date((now + seconds) * 1000);
    const token = await rsa.challenge({ iat: now, exp: now + 600 });
    await expect(verifyIntuneChallenge(token, options({ now: at(630) }))).resolves.toBeDefined();
    expect(await refusal(verifyIntuneChallenge(token, options({ now: at(661) })))).toMatch(/^expired: .*expired at/);
    await expect(verifyIntuneChallenge(token, options({ now: at(-50) }))).resolves.toBeDefined();
    expect(await refusal(verifyIntuneChallenge(token, options({ now: at(-61) })))).toMatch(/^not_yet_valid:/);
    const notBefore = await rsa.challenge({ iat: now, nbf: now + 300, exp: now + 600 });
    expect(await refusal(verifyIntuneChallenge(notBefore, options()))).toMatch(/^not_yet_valid:/);
    const longLived = await rsa.challenge({ iat: now, exp: now + 3 * 3600 });
    expect(await refusal(verifyIntuneChallenge(longLived, options()))).toMatch(
      /^too_long_lived: .*INTUNE_CHALLENGE_VALIDITY/,
    );
    const noIat = await rsa.challenge({ iat: undefined, exp: now + 3 * 3600 });
    expect(await refusal(verifyIntuneChallenge(noIat, options()))).toMatch(/^too_long_lived:/);
    const noExp = await rsa.challenge({ exp: undefined });
    expect(await refusal(verifyIntuneChallenge(noExp, options()))).toMatch(/^malformed: .*exp/);
    // A challenge issued long ago is refused by the validity cap even though its own exp is later.
    const stale = await rsa.challenge({ iat: now - 2 * 3600, exp: now + 60 });
    await expect(verifyIntuneChallenge(stale, options({ validityMs: 3 * HOUR }))).resolves.toBeDefined();
    expect(await refusal(verifyIntuneChallenge(stale, options({ validityMs: 90 * 60_000 })))).toMatch(
      /^expired: .*longer ago than INTUNE_CHALLENGE_VALIDITY/,
    );
  });

  it('pins the audience when the profile sets one, and refuses unknown payload versions', async () => {
    const expected = 'https://certctl.example/scep/intune';
    const other = await rsa.challenge({ aud: 'https://other.example/scep' });
    expect(await refusal(verifyIntuneChallenge(other, options({ audience: expected })))).toMatch(/^audience:/);
    const none = await rsa.challenge({ aud: undefined });
    expect(await refusal(verifyIntuneChallenge(none, options({ audience: expected })))).toMatch(/^audience:/);
    await expect(verifyIntuneChallenge(none, options())).resolves.toBeDefined();
    const list = await rsa.challenge({ aud: ['x', expected] });
    await expect(verifyIntuneChallenge(list, options({ audience: expected }))).resolves.toBeDefined();
    const v2 = await rsa.challenge({ version: 'v2' });
    expect(await refusal(verifyIntuneChallenge(v2, options()))).toMatch(/^unsupported_version: .*"v2"/);
    await expect(verifyIntuneChallenge(await rsa.challenge({ version: 'v1' }), options())).resolves.toBeDefined();
  });

  it('refuses claims of the wrong shape with the claim named', async () => {
    expect(await refusal(verifyIntuneChallenge(await rsa.challenge({ sub: '' }), options()))).toMatch(
      /^malformed: .*sub/,
    );
    expect(
      await refusal(verifyIntuneChallenge(await rsa.challenge({ san_dns: 'a.example' as never }), options())),
    ).toMatch(/^malformed: .*san_dns/);
    expect(await refusal(verifyIntuneChallenge(await rsa.challenge({ exp: 'soon' as never }), options()))).toMatch(
      /^malformed: .*exp/,
    );
  });

  it('answers any string, and any mutation of a valid challenge, with a typed refusal (fuzz)', async () => {
    const valid = await rsa.challenge();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{0,40}$/),
          fc
            .tuple(fc.nat(valid.length - 1), fc.constantFrom('A', '_', '-', '.', '=', ' ', 'z'))
            .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1))
            .filter((s) => s !== valid),
        ),
        async (token) => {
          try {
            await verifyIntuneChallenge(token, options());
          } catch (error) {
            expect(error).toBeInstanceOf(IntuneChallengeError);
            return;
          }
          throw new Error(`accepted ${token}`);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('Intune challenge binding to the CSR', () => {
  const claim = (over: Partial<IntuneClaim>): IntuneClaim => ({
    issuer: 'c',
    subject: 'd',
    audience: [],
    expiresAt: new Date(),
    sanDns: [],
    sanRfc822: [],
    sanUpn: [],
    replayKey: '0',
    ...over,
  });
  let csr: ReturnType<typeof parseCsr>;
  beforeAll(async () => {
    const made = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: 'laptop-9' },
      sans: [
        { type: 'dns', value: 'laptop-9.corp.example' },
        { type: 'dns', value: 'LAPTOP-9.vpn.corp.example' },
        { type: 'email', value: 'bob@corp.example' },
      ],
    });
    csr = parseCsr(made.pem);
  });

  it('accepts a CSR whose common name and SAN sets equal the claims (order and case aside)', () => {
    expect(
      csrMismatch(
        claim({
          deviceName: 'laptop-9',
          sanDns: ['laptop-9.vpn.corp.example', 'laptop-9.corp.example'],
          sanRfc822: ['Bob@corp.example'],
        }),
        csr,
      ),
    ).toBeUndefined();
    expect(csrMismatch(claim({}), csr)).toBeUndefined();
  });

  it('names what differs: common name, a missing or an extra name, a UPN the CSR lacks', () => {
    expect(csrMismatch(claim({ deviceName: 'laptop-10' }), csr)).toMatch(/common name "laptop-9" is not .*"laptop-10"/);
    expect(csrMismatch(claim({ sanDns: ['laptop-9.corp.example'] }), csr)).toMatch(/san_dns/);
    expect(
      csrMismatch(claim({ sanDns: ['laptop-9.corp.example', 'laptop-9.vpn.corp.example', 'x.example'] }), csr),
    ).toMatch(/san_dns/);
    expect(csrMismatch(claim({ sanRfc822: ['eve@corp.example'] }), csr)).toMatch(/san_rfc822/);
    expect(csrMismatch(claim({ sanUpn: ['bob@corp.example'] }), csr)).toMatch(/san_upn names \[\] are not/);
  });
});
