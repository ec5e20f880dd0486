import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestCsr,
  type FakeSectigo,
  issueRequestFor,
  startFakeSectigo,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import {
  AuthenticationError,
  ConnectorError,
  type IssuedCertificate,
  parseConfig,
  VendorApiError,
} from '@certctl/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sectigoConfigSchema } from './sectigo-config.js';
import { createSectigoIssuer } from './sectigo-issuer.js';

let fake: FakeSectigo;
let dir: TempDir;
let caPath: string;
let ctx: TestContext;

beforeAll(async () => {
  fake = await startFakeSectigo();
  dir = await createTempDir('issuer-sectigo-test-');
  caPath = join(dir.path, 'api-ca.pem');
  await writeFile(caPath, fake.caPem!);
});
afterAll(async () => {
  await fake.close();
  await dir.remove();
});
beforeEach(async () => {
  ctx = await createTestContext();
  fake.approval = 'pending';
  fake.collectDelay = 0;
  fake.faults.clear();
});

function issuer(overrides: Record<string, unknown> = {}, target: FakeSectigo = fake) {
  const config = parseConfig(
    sectigoConfigSchema,
    {
      customer_uri: target.customerUri,
      login: target.login,
      password: target.password,
      org_id: target.orgId,
      cert_type: 423,
      base_url: target.baseUrl,
      ca_bundle_path: caPath,
      issue_wait_seconds: 0,
      ...overrides,
    },
    'issuer-sectigo',
  );
  return createSectigoIssuer(config, ctx, 'test');
}

const request = async (commonName = 'portal.example.org') =>
  issueRequestFor(await createTestCsr({ commonName, sans: { dns: [commonName, `api.${commonName}`] } }));

function opensslVerify(leafPem: string, caPem: string): string {
  const leaf = join(dir.path, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  const ca = join(dir.path, 'issuing-ca.pem');
  execFileSync('sh', ['-c', 'cat > "$0"', leaf], { input: leafPem });
  execFileSync('sh', ['-c', 'cat > "$0"', ca], { input: caPem });
  return execFileSync('openssl', ['verify', '-CAfile', ca, leaf], { encoding: 'utf8' });
}

describe('Sectigo issuer against the SCM fake', () => {
  it('enrolls, stays pending while not collectable, then collects a certificate openssl verifies', async () => {
    fake.collectDelay = 2;
    const scm = issuer();
    const first = await scm.issue(await request());
    expect(first).toMatchObject({ status: 'pending', detail: expect.stringContaining('Applied') });
    const orderId = (first as { orderId: string }).orderId;
    await fake.approve(orderId);
    expect(await scm.getOrder(orderId)).toMatchObject({
      status: 'pending',
      detail: expect.stringContaining('not collectable'),
    });
    expect(await scm.getOrder(orderId)).toMatchObject({ status: 'pending' });
    const issued = (await scm.getOrder(orderId)) as IssuedCertificate;
    expect(issued).toMatchObject({ status: 'issued', orderId });
    expect(opensslVerify(issued.certificatePem, fake.issuingCa.certificatePem)).toMatch(/: OK/);
    const sent = JSON.parse(fake.vendor.requests.find((r) => r.path.endsWith('/enroll'))!.body);
    expect(sent).toMatchObject({
      orgId: fake.orgId,
      certType: 423,
      term: 365,
      subjAltNames: 'portal.example.org,api.portal.example.org',
    });
  });

  it('issue polls collect with bounded waits and returns the certificate once collectable', async () => {
    fake.approval = { afterChecks: 1 };
    fake.collectDelay = 1;
    const issued = await issuer({ issue_wait_seconds: 60 }).issue(await request('quick.example.org'));
    expect(issued.status).toBe('issued');
  });

  it('issue hands a slow enrollment to the server as pending after issue_wait_seconds', async () => {
    const result = await issuer({ issue_wait_seconds: 20 }).issue(await request('slow.example.org'));
    expect(result).toMatchObject({ status: 'pending' });
    // 2 s, 5 s, 10 s, then the deadline: a bounded number of status checks, not a tight loop.
    const checks = fake.vendor.requests.filter(
      (r) => r.path === `/api/ssl/v1/${(result as { orderId: string }).orderId}`,
    );
    expect(checks.length).toBeGreaterThan(1);
    expect(checks.length).toBeLessThan(6);
  });

  it('a rejected enrollment fails with the reason Sectigo gave', async () => {
    const scm = issuer();
    const first = (await scm.issue(await request('declined.example.org'))) as { orderId: string };
    fake.reject(first.orderId, 'Domain control validation failed');
    expect(await scm.getOrder(first.orderId)).toEqual({
      status: 'failed',
      orderId: first.orderId,
      reason: `Sectigo rejected enrollment ${first.orderId}: Domain control validation failed`,
    });
  });

  it('refuses a profile max TTL shorter than the term instead of ordering too long a certificate', async () => {
    const error = await issuer()
      .issue({ ...(await request()), maxTtlSeconds: 90 * 86_400 })
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/at most 90 days but term is 365/);
  });

  it('wrong credentials are an AuthenticationError that never shows the password or login', async () => {
    const wrong = 'not-the-password-0123456789';
    const error = await issuer({ password: wrong })
      .issue(await request())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/401 code -16: Unknown user.*customer_uri, login or password/);
    expect(JSON.stringify({ message: (error as Error).message, logs: ctx.logs })).not.toContain(wrong);
  });

  it('403 names the privilege the call needs', async () => {
    const error = await issuer({ login: fake.readOnlyLogin })
      .issue(await request())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('lacks the privilege to enroll SSL certificates');
  });

  it('a 429 on a status check is retried after Retry-After; a refused enrollment is not retried', async () => {
    const scm = issuer();
    const first = (await scm.issue(await request('limit.example.org'))) as { orderId: string };
    fake.rateLimitNext(1);
    const before = fake.vendor.requests.length;
    expect((await scm.getOrder(first.orderId)).status).toBe('pending');
    expect(fake.vendor.requests.length - before).toBe(2);
    const enrolls = () => fake.vendor.requests.filter((r) => r.path.endsWith('/enroll')).length;
    const posted = enrolls();
    const error = await issuer({ cert_type: 999 })
      .issue(await request('badtype.example.org'))
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toContain('code -13: Certificate type 999 is invalid.');
    expect(enrolls() - posted).toBe(1);
  });

  it('revokes by serial with an SCM reason', async () => {
    fake.approval = 'issue';
    const scm = issuer({ issue_wait_seconds: 10 });
    const issued = (await scm.issue(await request('revoke.example.org'))) as IssuedCertificate;
    expect(issued.status).toBe('issued');
    await scm.revoke({ serial: issued.serial, reason: 'superseded' });
    expect(fake.certificates.get(Number(issued.orderId))).toMatchObject({
      status: 'Revoked',
      revokeReason: 'Superseded',
    });
  });

  it('testConnection checks cert_type and term against the account', async () => {
    expect((await issuer().testConnection()).detail).toContain('cert type 423');
    await expect(issuer({ cert_type: 7 }).testConnection()).rejects.toThrow(/cert_type 7 is not one of/);
  });

  it('lists existing issued and expired certificates with their sslIds', async () => {
    const local = await startFakeSectigo();
    try {
      await writeFile(caPath, local.caPem!);
      const valid = await local.seedExistingCertificates(2, { certTypeId: 424 });
      const expired = await local.seedExistingCertificates(1, { expired: true });
      const items = [];
      for await (const item of issuer({}, local).listExisting()) items.push(item);
      expect(items.map((i) => i.orderId)).toEqual([...valid, ...expired].map(String));
      expect(items[0]!.metadata).toMatchObject({ product: '424', status: 'Issued' });
      expect(items[2]!.metadata.status).toBe('Expired');
      expect(opensslVerify(items[1]!.certificatePem, local.issuingCa.certificatePem)).toMatch(/: OK/);
    } finally {
      await writeFile(caPath, fake.caPem!);
      await local.close();
    }
  });
});
