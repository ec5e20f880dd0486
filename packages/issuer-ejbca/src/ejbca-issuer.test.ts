import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createTestCa,
  createTestContext,
  createTestCsr,
  issueRequestFor,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, type ExistingCertificate, parseConfig, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ejbcaConfigSchema } from './ejbca-config.js';
import { createEjbcaIssuer, ejbcaEndTime, endEntityUsername } from './ejbca-issuer.js';
import { type EjbcaSetup, setUpEjbca } from './test-support/ejbca-setup.js';

const run = promisify(execFile);
let mtls: EjbcaSetup;
let oauth: EjbcaSetup;
let ctx: TestContext;

beforeAll(async () => {
  [mtls, oauth] = await Promise.all([setUpEjbca(), setUpEjbca({ auth: 'oauth2' })]);
  ctx = await createTestContext();
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await mtls?.close();
  await oauth?.close();
});

const issuerOf = (setup: EjbcaSetup, overrides: Record<string, unknown> = {}) =>
  createEjbcaIssuer(parseConfig(ejbcaConfigSchema, setup.config(overrides)), ctx, 'test');
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

describe('issuer-ejbca against the fake EJBCA', () => {
  it('enrolls over mTLS with the configured CA and profiles, the CN as username and an end_time within the max TTL; openssl verifies the result', async () => {
    const csr = await createTestCsr({ commonName: 'ejbca.example.test', sans: { dns: ['ejbca.example.test'] } });
    const issued = await issuerOf(mtls, { username_prefix: 'certctl-' }).issue(
      issueRequestFor(csr, { maxTtlSeconds: 10 * 86_400 }),
    );
    const sent = mtls.ejbca.vendor.requests.filter((r) => r.path.endsWith('/v1/certificate/pkcs10enroll')).at(-1)!;
    expect(sent.clientCertificateSubject).toContain('certctl RA administrator');
    const body = JSON.parse(sent.body);
    expect(body).toMatchObject({
      certificate_authority_name: 'IssuingCA',
      certificate_profile_name: 'SERVER',
      end_entity_profile_name: 'certctl-tls',
      username: 'certctl-ejbca.example.test',
      include_chain: true,
      response_format: 'DER',
    });
    expect(body.end_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00:00$/);
    expect(body.password.length).toBeGreaterThanOrEqual(20);
    expect(issued.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(10 * 86_400_000 + 120_000);
    expect(issued.chainPem.map((p) => p.trim())).toEqual([mtls.ejbca.ca.certificatePem.trim()]);
    await writeFile(join(mtls.dir.path, 'leaf.pem'), issued.certificatePem);
    await writeFile(join(mtls.dir.path, 'chain.pem'), issued.chainPem.join(''));
    const { stdout } = await run('openssl', ['verify', '-CAfile', 'chain.pem', 'leaf.pem'], { cwd: mtls.dir.path });
    expect(stdout).toContain('leaf.pem: OK');
  });

  it('writes end_time as EJBCA parses it: ISO 8601 date and time with an explicit UTC offset', () => {
    expect(ejbcaEndTime(new Date('2027-03-04T05:06:07.890Z'))).toBe('2027-03-04 05:06:07+00:00');
  });

  it('names end entities by request id under that policy', async () => {
    const request = issueRequestFor(await createTestCsr(), { requestId: 'job-42/renew' });
    expect(endEntityUsername({ username_policy: 'request_id', username_prefix: '' }, request)).toBe(
      'certctl-job-42_renew',
    );
    expect(endEntityUsername({ username_policy: 'common_name', username_prefix: 'x-' }, request)).toBe(
      'x-conformance.example.test',
    );
  });

  it('turns 403 for a client certificate without an EJBCA role into an AuthenticationError naming the role to grant', async () => {
    const error = await failure(
      issuerOf(mtls, { client_cert_path: mtls.paths.strangerCert, client_key_path: mtls.paths.strangerKey }).issue(
        issueRequestFor(await createTestCsr()),
      ),
    );
    expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
    expect(error.message).toContain('Not authorized to resource /ca_functionality/create_certificate');
    expect(error.message).toContain('to an EJBCA role with access to CA "IssuingCA"');
  });

  it('follows a client certificate rotated on disk without a restart', async () => {
    const cert = join(mtls.dir.path, 'rotating.crt');
    const key = join(mtls.dir.path, 'rotating.key');
    const install = async (pair: { certificatePem: string; privateKeyPem: string }) => {
      await writeFile(cert, pair.certificatePem);
      await writeFile(key, pair.privateKeyPem);
    };
    await install(mtls.ejbca.strangerClient!);
    const issuer = issuerOf(mtls, { client_cert_path: cert, client_key_path: key });
    expect(AuthenticationError.isInstance(await failure(issuer.testConnection()))).toBe(true);
    await install(mtls.ejbca.adminClient!);
    expect((await issuer.testConnection()).ok).toBe(true);
    await issuer.stop();
  });

  it('is refused at the TLS handshake with a client certificate from a CA EJBCA does not trust', async () => {
    const foreign = await (await createTestCa({ commonName: 'not trusted by EJBCA' })).issue({
      commonName: 'intruder',
    });
    const cert = join(mtls.dir.path, 'foreign.crt');
    const key = join(mtls.dir.path, 'foreign.key');
    await writeFile(cert, foreign.certificatePem);
    await writeFile(key, foreign.privateKeyPem);
    const before = mtls.ejbca.vendor.requests.length;
    const error = await failure(issuerOf(mtls, { client_cert_path: cert, client_key_path: key }).testConnection());
    expect(VendorApiError.isInstance(error), String(error)).toBe(true);
    expect((error as VendorApiError).status).toBeUndefined();
    expect(mtls.ejbca.vendor.requests.length).toBe(before);
  });

  it('sends the OAuth2 bearer token, and a wrong token is an AuthenticationError that does not echo it', async () => {
    const issued = await issuerOf(oauth).issue(issueRequestFor(await createTestCsr()));
    expect(oauth.ejbca.certificates.has(issued.serial)).toBe(true);
    expect(oauth.ejbca.vendor.requests.at(-1)!.headers.authorization).toBe(`Bearer ${oauth.ejbca.token}`);
    const error = await failure(issuerOf(oauth, { token: 'wrong-token-value' }).testConnection());
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toContain('bearer token');
    expect(error.message).not.toContain('wrong-token-value');
  });

  it("revokes under the CA's issuer DN with EJBCA's reason name; revoking again is accepted", async () => {
    const issuer = issuerOf(mtls);
    const issued = await issuer.issue(issueRequestFor(await createTestCsr()));
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const sent = mtls.ejbca.vendor.requests.at(-1)!;
    expect(sent.method).toBe('PUT');
    expect(decodeURIComponent(sent.path)).toBe(
      `/ejbca/ejbca-rest-api/v1/certificate/${mtls.ejbca.caSubjectDn}/${issued.serial.toUpperCase()}/revoke`,
    );
    expect(sent.query).toBe('?reason=KEY_COMPROMISE');
    expect(mtls.ejbca.certificates.get(issued.serial)?.revocationReason).toBe('KEY_COMPROMISE');
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
  });

  it('waits out a 429 with Retry-After on a read, and reports it on an enrollment, which is not repeated', async () => {
    mtls.ejbca.rateLimitNext(2);
    expect(await issuerOf(mtls).caChain()).toHaveLength(1);
    mtls.ejbca.rateLimitNext(2);
    const before = mtls.ejbca.vendor.requests.length;
    const error = await failure(issuerOf(mtls).issue(issueRequestFor(await createTestCsr())));
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(429);
    expect((error as VendorApiError).retryable).toBe(true);
    expect((error as VendorApiError).retryAfterSeconds).toBe(2);
    expect(mtls.ejbca.vendor.requests.length - before).toBe(1);
  });

  it('reports a CA name EJBCA does not know, listing the ones it does', async () => {
    const error = await failure(issuerOf(mtls, { ca_name: 'NoSuchCA' }).caChain());
    expect(error.message).toContain('no CA named "NoSuchCA"');
    expect(error.message).toContain('IssuingCA');
  });

  it('lists every active certificate of the CA through paginated v2 searches, skipping revoked ones', async () => {
    const { ejbca } = mtls;
    ejbca.certificates.clear();
    for (let i = 0; i < 110; i++) {
      const leaf = await ejbca.ca.issue({ commonName: `host-${i}.example.test` });
      ejbca.certificates.set(leaf.serial, {
        serial: leaf.serial,
        username: `host-${i}`,
        certificatePem: leaf.certificatePem,
        certificateProfile: 'SERVER',
        endEntityProfile: 'certctl-tls',
        ...(i % 20 === 0 ? { revocationReason: 'SUPERSEDED', revokedAt: new Date() } : {}),
      });
    }
    const seen: ExistingCertificate[] = [];
    for await (const item of issuerOf(mtls).listExisting()) seen.push(item);
    expect(seen).toHaveLength(104);
    expect(new Set(seen.map((s) => s.metadata.ejbca_username)).size).toBe(104);
    expect(seen[0]!.chainPem.map((p) => p.trim())).toEqual([ejbca.ca.certificatePem.trim()]);
    const searches = ejbca.vendor.requests.filter((r) => r.path.endsWith('/v2/certificate/search'));
    expect(searches.slice(-2).map((r) => JSON.parse(r.body).pagination)).toEqual([
      { page_size: 100, current_page: 1 },
      { page_size: 100, current_page: 2 },
    ]);
  });
});
