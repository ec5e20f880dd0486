import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createTestCa,
  createTestContext,
  createTestCsr,
  issueRequestFor,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConfigValidationError, MalformedInputError, VendorApiError } from '@certctl/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOneTimeToken } from './one-time-token.js';
import { parseProvisionerKey } from './provisioner-key.js';
import { createStepcaClient } from './stepca-client.js';
import { createStepcaIssuer, decimalSerial } from './stepca-issuer.js';
import { createProvisionerFixture } from './test-support/provisioner-fixture.js';
import { type StepcaSetup, setUpStepca } from './test-support/stepca-setup.js';

const run = promisify(execFile);
let setup: StepcaSetup;
let ctx: TestContext;

beforeAll(async () => {
  setup = await setUpStepca({ maxDurationSeconds: 30 * 86_400 });
  ctx = await createTestContext();
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await setup?.close();
});

const issuerWith = (overrides: Record<string, unknown> = {}) =>
  createStepcaIssuer(setup.config(overrides), ctx, 'test');
const lastBody = (path: string) => JSON.parse(setup.stepca.vendor.requests.filter((r) => r.path === path).at(-1)!.body);
/** Posts to the fake directly, as a client holding a token of its own making would. */
const client = () =>
  createStepcaClient(
    { caUrl: setup.stepca.url, rootPem: setup.stepca.rootPem, timeoutMs: 10_000, version: 'test' },
    ctx,
  );

describe('issuer-stepca against the fake step-ca', () => {
  it('signs with a one-time token carrying iss, aud, sub, sans, kid and 5 minutes of life; openssl verifies the chain to the root', async () => {
    const csr = await createTestCsr({
      commonName: 'app.example.test',
      sans: { dns: ['app.example.test', 'api.example.test'] },
    });
    const before = Date.now();
    const issued = await issuerWith({ validity_days: 10 }).issue(issueRequestFor(csr, { maxTtlSeconds: 2 * 86_400 }));
    const body = lastBody('/1.0/sign');
    const header = decodeProtectedHeader(body.ott);
    const claims = decodeJwt(body.ott);
    expect(header).toMatchObject({ alg: 'ES256', kid: setup.provisioner.publicJwk.kid });
    expect(claims).toMatchObject({
      iss: setup.provisioner.name,
      aud: `${setup.stepca.url}/1.0/sign`,
      sub: 'app.example.test',
      sans: ['app.example.test', 'api.example.test'],
    });
    expect(claims.exp! - claims.nbf!).toBe(300);
    expect(claims.jti).toMatch(/^[0-9a-f]{64}$/);
    const notAfter = Date.parse(body.notAfter);
    expect(notAfter - before).toBeGreaterThanOrEqual(2 * 86_400_000 - 5_000);
    expect(notAfter - before).toBeLessThanOrEqual(2 * 86_400_000 + 5_000);
    expect(issued.chainPem).toEqual([setup.stepca.intermediate.certificate.pem]);

    const leafPath = await setup.write('leaf.pem', issued.certificatePem);
    const chainPath = await setup.write('chain.pem', issued.chainPem.join(''));
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      setup.rootPath,
      '-untrusted',
      chainPath,
      '-purpose',
      'sslserver',
      leafPath,
    ]);
    expect(stdout).toContain(`${leafPath}: OK`);
  });

  it('reads the provisioner key from a ca.json entry, a flattened JWE file, a compact JWE and a plain JWK', async () => {
    const p = setup.provisioner;
    const fromEntry = await parseProvisionerKey(JSON.stringify(p.caJsonEntry), p.password);
    const fromFile = await parseProvisionerKey(p.encryptedJwkFile, p.password);
    const fromCompact = await parseProvisionerKey(p.caJsonEntry.encryptedKey, p.password);
    const plain = await parseProvisionerKey(JSON.stringify(p.plainPrivateJwk), undefined);
    for (const key of [fromEntry, fromFile, fromCompact, plain]) expect(key.kid).toBe(p.publicJwk.kid);
    const keyPath = await setup.write('step-jwk.json', p.encryptedJwkFile);
    await issuerWith({ provisioner_key_path: keyPath }).issue(issueRequestFor(await createTestCsr()));
  });

  it('refuses an unencrypted provisioner key that group or others can read', async () => {
    const keyPath = await setup.write('plain.json', JSON.stringify(setup.provisioner.plainPrivateJwk));
    await chmod(keyPath, 0o644);
    const error = await issuerWith({ provisioner_key_path: keyPath, provisioner_password: undefined })
      .start()
      .catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect(String(error)).toContain('chmod 600');
    await chmod(keyPath, 0o600);
    await issuerWith({ provisioner_key_path: keyPath, provisioner_password: undefined }).start();
  });

  it('refuses a wrong password before calling step-ca, and asks for one when the key is encrypted', async () => {
    const requests = setup.stepca.vendor.requests.length;
    const wrong = await issuerWith({ provisioner_password: 'not the password' })
      .start()
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(wrong), String(wrong)).toBe(true);
    expect(String(wrong)).not.toContain('not the password');
    const missing = await issuerWith({ provisioner_password: undefined })
      .start()
      .catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(missing)).toBe(true);
    expect(setup.stepca.vendor.requests.length).toBe(requests);
  });

  it('is refused (401) when the token is signed by another key under the provisioner kid', async () => {
    const impostor = await createProvisionerFixture(setup.provisioner.name);
    const keyPath = await setup.write(
      'impostor.json',
      JSON.stringify({ ...impostor.plainPrivateJwk, kid: setup.provisioner.publicJwk.kid }),
    );
    const error = await issuerWith({ provisioner_key_path: keyPath, provisioner_password: undefined })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
    expect(String(error)).toContain('invalid jwk claims');
  });

  it('the fake checks tokens as step-ca does: replayed jti, expiry, audience, issuer, CN and SANs', async () => {
    const key = await parseProvisionerKey(JSON.stringify(setup.provisioner.caJsonEntry), setup.provisioner.password);
    const csr = await createTestCsr({ commonName: 'svc.example.test' });
    const token = (overrides: Partial<Parameters<typeof createOneTimeToken>[0]> = {}) =>
      createOneTimeToken({
        key,
        provisionerName: setup.provisioner.name,
        audience: `${setup.stepca.url}/1.0/sign`,
        subject: 'svc.example.test',
        sans: ['svc.example.test'],
        now: new Date(),
        ...overrides,
      });
    const post = (ott: string, csrPem = csr.csrPem) =>
      client()
        .post('/1.0/sign', { csr: csrPem, ott })
        .then(
          () => 'accepted',
          (e: unknown) => e,
        );

    const ott = await token();
    expect(await post(ott)).toBe('accepted');
    expect(String(await post(ott))).toContain('token already used');
    expect(String(await post(await token({ now: new Date(Date.now() - 10 * 60_000) })))).toContain(
      'invalid jwk claims',
    );
    expect(String(await post(await token({ now: new Date(Date.now() + 10 * 60_000) })))).toContain(
      'invalid jwk claims',
    );
    expect(String(await post(await token({ audience: 'https://elsewhere.example/1.0/sign' })))).toContain(
      'invalid jwk token audience',
    );
    expect(String(await post(await token({ audience: `${setup.stepca.url}/1.0/revoke` })))).toContain(
      'invalid jwk token audience',
    );
    const portless = new URL(setup.stepca.url);
    portless.port = '';
    expect(await post(await token({ audience: `${portless.toString().replace(/\/$/, '')}/1.0/sign` }))).toBe(
      'accepted',
    );
    expect(String(await post(await token({ provisionerName: 'someone-else' })))).toContain('provisioner not found');
    const cnMismatch = await post(await token({ subject: 'other.example.test', sans: ['svc.example.test'] }));
    expect((cnMismatch as VendorApiError).status).toBe(403);
    expect(String(cnMismatch)).toContain('valid common name');
    expect(String(await post(await token({ sans: ['svc.example.test', 'extra.example.test'] })))).toContain(
      'valid DNS names',
    );
  });

  it("passes on step-ca's refusal of a validity beyond the provisioner maximum", async () => {
    const error = await issuerWith({ validity_days: 365 })
      .issue(issueRequestFor(await createTestCsr(), { maxTtlSeconds: undefined }))
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(403);
    expect(String(error)).toContain('authorized maximum certificate duration');
  });

  it('trusts only root_cert_path for TLS: another root fails the handshake', async () => {
    const other = await createTestCa({ commonName: 'some other root' });
    const rootPath = await setup.write('other-root.pem', other.certificatePem);
    const error = await issuerWith({ root_cert_path: rootPath })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error), String(error)).toBe(true);
    expect((error as VendorApiError).status).toBeUndefined();
    const missing = await issuerWith({ root_cert_path: join(setup.dir.path, 'nope.pem') })
      .start()
      .catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(missing)).toBe(true);
  });

  it('revokes passively with the decimal serial, the reason code and a token whose sub is the serial', async () => {
    const issuer = issuerWith();
    const issued = await issuer.issue(issueRequestFor(await createTestCsr()));
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const body = lastBody('/1.0/revoke');
    expect(body).toMatchObject({
      serial: BigInt(`0x${issued.serial}`).toString(10),
      reasonCode: 1,
      reason: 'keyCompromise',
      passive: true,
    });
    expect(decodeJwt(body.ott)).toMatchObject({ sub: body.serial, aud: `${setup.stepca.url}/1.0/revoke` });
    expect(setup.stepca.revoked.get(issued.serial)).toEqual({ reasonCode: 1, reason: 'keyCompromise' });

    const requests = setup.stepca.vendor.requests.length;
    const bad = await issuer.revoke({ serial: '12 OR 1=1', reason: 'superseded' }).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(bad)).toBe(true);
    expect(setup.stepca.vendor.requests.length).toBe(requests);
    expect(decimalSerial('ff')).toBe('255');
  });
});
