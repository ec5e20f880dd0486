import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createFakeClock,
  createTestContext,
  createTestCsr,
  issueRequestFor,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConfigValidationError, parseConfig, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { googleCasConfigSchema } from './googlecas-config.js';
import { createGoogleCasIssuer, requestUuid } from './googlecas-issuer.js';
import { type CasSetup, setUpCas } from './test-support/cas-setup.js';

const run = promisify(execFile);
let setup: CasSetup;
let ctx: TestContext;

beforeAll(async () => {
  setup = await setUpCas();
  ctx = await createTestContext();
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await setup?.close();
});

const issuerWith = (overrides: Record<string, unknown> = {}) =>
  createGoogleCasIssuer(parseConfig(googleCasConfigSchema, setup.config(overrides)), ctx, 'test');
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );
const apiCalls = (suffix: string) => setup.cas.vendor.requests.filter((r) => r.path.includes(suffix));

describe('issuer-googlecas: the real client library (REST transport) against the fake CAS', () => {
  it('signs a JWT for the service account, creates the certificate in the pool with a capped lifetime, reuses the token, and openssl verifies the result', async () => {
    const issuer = issuerWith({ ttl: '720h', certificate_authority_id: setup.cas.caId });
    const before = setup.cas.tokensIssued;
    const csr = await createTestCsr({ commonName: 'cas.example.test', sans: { dns: ['cas.example.test'] } });
    const request = issueRequestFor(csr, { maxTtlSeconds: 10 * 86_400 });
    const issued = await issuer.issue(request);
    await issuer.issue(issueRequestFor(await createTestCsr()));
    expect(setup.cas.tokensIssued - before).toBe(1);

    const create = apiCalls(`/v1/${setup.cas.caPoolName}/certificates`)
      .filter((r) => r.method === 'POST')
      .at(-2)!;
    expect(create.headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    const query = new URLSearchParams(create.query);
    expect(query.get('certificateId')).toMatch(/^certctl-[0-9a-f]{40}$/);
    expect(query.get('requestId')).toBe(requestUuid(request.requestId));
    expect(query.get('issuingCertificateAuthorityId')).toBe(setup.cas.caId);
    expect(JSON.parse(create.body)).toMatchObject({ pemCsr: csr.csrPem, lifetime: '864000s' });
    expect(issued.orderId).toBe(`${setup.cas.caPoolName}/certificates/${query.get('certificateId')}`);

    await writeFile(join(setup.dir.path, 'leaf.pem'), issued.certificatePem);
    await writeFile(join(setup.dir.path, 'chain.pem'), issued.chainPem.join(''));
    const { stdout } = await run('openssl', ['verify', '-CAfile', 'chain.pem', 'leaf.pem'], { cwd: setup.dir.path });
    expect(stdout).toContain('leaf.pem: OK');
    expect(issued.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(10 * 86_400_000 + 120_000);
  });

  it('answers a retried request id with the certificate issued the first time', async () => {
    const issuer = issuerWith();
    const request = issueRequestFor(await createTestCsr());
    const first = await issuer.issue(request);
    const again = await issuer.issue(request);
    expect(again.serial).toBe(first.serial);
  });

  it('uses the ambient credentials (the metadata server of GCE/GKE) when no key file is configured', async () => {
    vi.stubEnv('GCE_METADATA_HOST', setup.cas.metadataHost);
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', undefined);
    // No gcloud application-default credentials file to find on the way.
    vi.stubEnv('HOME', setup.dir.path);
    vi.stubEnv('CLOUDSDK_CONFIG', join(setup.dir.path, 'no-gcloud'));
    try {
      const issued = await issuerWith({ credentials: undefined, token_url: undefined }).issue(
        issueRequestFor(await createTestCsr()),
      );
      expect(setup.cas.certificates.get(issued.orderId!)).toBeDefined();
      const create = apiCalls(`/v1/${setup.cas.caPoolName}/certificates`)
        .filter((r) => r.method === 'POST')
        .at(-1)!;
      expect(create.headers.authorization).toMatch(/^Bearer ya29\.fake-metadata-/);
      expect(setup.cas.vendor.requests.some((r) => r.path.endsWith('/service-accounts/default/token'))).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('applies the certificate template the request profile names, and refuses a profile that is not one', async () => {
    const template = `projects/${setup.cas.project}/locations/${setup.cas.location}/certificateTemplates/tls-server`;
    const issued = await issuerWith().issue(issueRequestFor(await createTestCsr(), { profile: template }));
    expect(setup.cas.certificates.get(issued.orderId!)!.certificateTemplate).toBe(template);
    const error = await failure(issuerWith().issue(issueRequestFor(await createTestCsr(), { profile: 'tls-server' })));
    expect(error.message).toContain('is not a certificate template');
  });

  it('requestUuid is a stable RFC 9562 UUID', () => {
    expect(requestUuid('a')).toBe(requestUuid('a'));
    expect(requestUuid('a')).not.toBe(requestUuid('b'));
    expect(requestUuid('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('names the IAM permission that is missing when CAS answers PERMISSION_DENIED', async () => {
    setup.cas.deny('privateca.certificates.create');
    try {
      const error = await failure(issuerWith().issue(issueRequestFor(await createTestCsr())));
      expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
      expect(error.message).toContain('"privateca.certificates.create"');
      expect(error.message).toContain(setup.cas.serviceAccountEmail);
    } finally {
      setup.cas.allow('privateca.certificates.create');
    }
  });

  it('reports a key Google does not know as an AuthenticationError, never echoing the key', async () => {
    const key = JSON.parse(setup.cas.serviceAccountKeyJson) as Record<string, string>;
    const forged = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const path = join(setup.dir.path, 'forged.json');
    await writeFile(path, JSON.stringify({ ...key, private_key: forged }));
    const error = await failure(issuerWith({ credentials: path }).testConnection());
    expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
    expect(error.message).toContain('Invalid JWT Signature');
    expect(error.message).not.toContain('PRIVATE KEY');

    await writeFile(
      join(setup.dir.path, 'not-a-key.json'),
      JSON.stringify({ type: 'authorized_user', refresh_token: 'r' }),
    );
    const config = parseConfig(
      googleCasConfigSchema,
      setup.config({ credentials: join(setup.dir.path, 'not-a-key.json') }),
    );
    const invalid = (() => {
      try {
        createGoogleCasIssuer(config, ctx, 'test');
        return undefined;
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(ConfigValidationError.isInstance(invalid)).toBe(true);
    expect(invalid!.message).toContain('not a service account key');
  });

  it('waits out RESOURCE_EXHAUSTED with Retry-After on a read, and reports it as retryable on CreateCertificate', async () => {
    setup.cas.rateLimitNext(1);
    expect((await issuerWith().testConnection()).ok).toBe(true);
    setup.cas.rateLimitNext(1);
    const error = await failure(issuerWith().issue(issueRequestFor(await createTestCsr())));
    expect(VendorApiError.isInstance(error), String(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(429);
    expect((error as VendorApiError).retryable).toBe(true);
    expect(error.message).toContain('Quota exceeded');
  });

  it('is refused a token when the host clock is hours off (the assertion has expired)', async () => {
    const skewed = await createTestContext({ clock: createFakeClock({ start: Date.now() - 3 * 3600_000 }) });
    try {
      const issuer = createGoogleCasIssuer(parseConfig(googleCasConfigSchema, setup.config()), skewed, 'test');
      const error = await failure(issuer.testConnection());
      expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
      expect(error.message).toContain('iat and exp');
    } finally {
      await skewed.cleanup();
    }
  });

  it('explains NOT_FOUND as a wrong project, location or pool', async () => {
    const error = await failure(issuerWith({ ca_pool: 'no-such-pool' }).testConnection());
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(404);
    expect((error as VendorApiError).retryable).toBe(false);
    expect(error.message).toContain('check project, location, ca_pool');
  });

  it('revokes the certificate it finds by serial, with the CAS reason; a second revoke is accepted', async () => {
    const issuer = issuerWith();
    const issued = await issuer.issue(issueRequestFor(await createTestCsr()));
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const list = apiCalls(`/v1/${setup.cas.caPoolName}/certificates`)
      .filter((r) => r.method === 'GET')
      .at(-1)!;
    expect(new URLSearchParams(list.query).get('filter')).toBe(
      `certificate_description.subject_description.hex_serial_number="${issued.serial}"`,
    );
    expect(setup.cas.certificates.get(issued.orderId!)?.revocation?.reason).toBe('KEY_COMPROMISE');
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const unknown = await failure(issuer.revoke({ serial: 'abcdef12', reason: 'superseded' }));
    expect((unknown as VendorApiError).status).toBe(404);
  });

  it("returns the pool's CA chain, or the configured CA's", async () => {
    const pem = setup.cas.ca.certificatePem.trim();
    expect((await issuerWith().caChain()).map((p) => p.trim())).toEqual([pem]);
    expect((await issuerWith({ certificate_authority_id: setup.cas.caId }).caChain()).map((p) => p.trim())).toEqual([
      pem,
    ]);
    expect(apiCalls(':fetchCaCerts').length).toBeGreaterThan(0);
  });
});
