import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestCsr,
  type FakeDigicert,
  issueRequestFor,
  startFakeDigicert,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, type IssuedCertificate, parseConfig, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digicertConfigSchema } from './digicert-config.js';
import { createDigicertIssuer } from './digicert-issuer.js';

let fake: FakeDigicert;
let dir: TempDir;
let caPath: string;
let ctx: TestContext;

beforeAll(async () => {
  fake = await startFakeDigicert();
  dir = await createTempDir('issuer-digicert-test-');
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
  fake.faults.clear();
});

function issuer(overrides: Record<string, unknown> = {}) {
  const config = parseConfig(
    digicertConfigSchema,
    {
      api_key: fake.apiKey,
      org_id: fake.organizationId,
      base_url: fake.baseUrl,
      ca_bundle_path: caPath,
      issue_wait_seconds: 0,
      ...overrides,
    },
    'issuer-digicert',
  );
  return createDigicertIssuer(config, ctx, 'test');
}

const request = async (commonName = 'shop.example.com') =>
  issueRequestFor(await createTestCsr({ commonName, sans: { dns: [commonName, `www.${commonName}`] } }));

function opensslVerify(leafPem: string, caPem: string): string {
  const leaf = join(dir.path, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  const ca = join(dir.path, 'issuing-ca.pem');
  execFileSync('sh', ['-c', 'cat > "$0"', leaf], { input: leafPem });
  execFileSync('sh', ['-c', 'cat > "$0"', ca], { input: caPem });
  return execFileSync('openssl', ['verify', '-CAfile', ca, leaf], { encoding: 'utf8' });
}

describe('DigiCert issuer against the CertCentral fake', () => {
  it('an order waiting for validation stays pending, then the approved certificate verifies with openssl', async () => {
    const dc = issuer();
    const first = await dc.issue({ ...(await request()), maxTtlSeconds: 30 * 86_400 });
    expect(first).toMatchObject({ status: 'pending' });
    const orderId = (first as { orderId: string }).orderId;
    expect(await dc.getOrder(orderId)).toMatchObject({ status: 'pending', detail: expect.stringContaining('pending') });
    await fake.approve(orderId);
    const issued = (await dc.getOrder(orderId)) as IssuedCertificate;
    expect(issued.status).toBe('issued');
    expect(issued.orderId).toBe(orderId);
    expect(opensslVerify(issued.certificatePem, fake.issuingCa.certificatePem)).toMatch(/: OK/);
    const sent = JSON.parse(fake.vendor.requests.find((r) => r.method === 'POST')!.body);
    expect(sent).toMatchObject({
      organization: { id: fake.organizationId },
      order_validity: { days: 30 },
      certificate: { common_name: 'shop.example.com', dns_names: ['shop.example.com', 'www.shop.example.com'] },
    });
  });

  it('a DV order issued at once returns the certificate from the create response', async () => {
    fake.approval = 'issue';
    const issued = await issuer().issue(await request('dv.example.com'));
    expect(issued.status).toBe('issued');
  });

  it('issue waits up to issue_wait_seconds for an order DigiCert approves meanwhile', async () => {
    fake.approval = { afterChecks: 1 };
    const issued = await issuer({ issue_wait_seconds: 60 }).issue(await request('wait.example.com'));
    expect(issued.status).toBe('issued');
  });

  it('a rejected order fails with the reason DigiCert gave', async () => {
    const dc = issuer();
    const first = (await dc.issue(await request('rejected.example.com'))) as { orderId: string };
    fake.reject(first.orderId, 'Organization validation failed: registration number does not match');
    expect(await dc.getOrder(first.orderId)).toEqual({
      status: 'failed',
      orderId: first.orderId,
      reason: `DigiCert rejected order ${first.orderId}: Organization validation failed: registration number does not match`,
    });
  });

  it('renew re-orders with renewal_of_order_id from the previous version', async () => {
    fake.approval = 'issue';
    const dc = issuer();
    const first = (await dc.issue(await request('renew.example.com'))) as IssuedCertificate;
    const req = await request('renew.example.com');
    const renewed = (await dc.renew({ ...req, metadata: { previous_order_id: first.orderId! } })) as IssuedCertificate;
    expect(renewed.orderId).not.toBe(first.orderId);
    expect(fake.orders.get(Number(renewed.orderId))!.renewalOfOrderId).toBe(Number(first.orderId));
  });

  it('a wrong API key is an AuthenticationError that says what to do and never shows the key', async () => {
    const wrongKey = 'WRONGKEY0123456789ABCDEF0123456789';
    const error = await issuer({ api_key: wrongKey })
      .issue(await request())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/401 invalid_api_key.*update api_key/);
    expect(JSON.stringify({ message: (error as Error).message, logs: ctx.logs })).not.toContain(wrongKey);
  });

  it('403 names the permission the call needs', async () => {
    const error = await issuer({ api_key: fake.viewOnlyApiKey })
      .issue(await request())
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('lacks the permission to place orders');
    const orgError = await issuer({ org_id: 999 })
      .issue(await request())
      .catch((e: unknown) => e);
    expect((orgError as Error).message).toContain('org_id is not an organization');
  });

  it('a 429 on a status check is retried after Retry-After; a 400 on an order is not retried', async () => {
    const dc = issuer();
    const first = (await dc.issue(await request('limit.example.com'))) as { orderId: string };
    fake.rateLimitNext(2);
    const before = fake.vendor.requests.length;
    expect((await dc.getOrder(first.orderId)).status).toBe('pending');
    expect(fake.vendor.requests.length - before).toBe(2);

    const orders = () => fake.vendor.requests.filter((r) => r.method === 'POST').length;
    const posted = orders();
    fake.faults.push({ status: 400, body: { errors: [{ code: 'invalid_csr', message: 'The CSR is invalid.' }] } });
    const refused = await dc.issue(await request('refused.example.com')).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(refused) && refused.retryable).toBe(false);
    expect((refused as Error).message).toContain('invalid_csr: The CSR is invalid.');
    expect(orders() - posted).toBe(1);
  });

  it('revokes by serial through the certificate id DigiCert holds', async () => {
    fake.approval = 'issue';
    const dc = issuer();
    const issued = (await dc.issue(await request('revoke.example.com'))) as IssuedCertificate;
    await dc.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const order = fake.orders.get(Number(issued.orderId))!;
    expect(order).toMatchObject({ status: 'revoked', revokeReason: 'key_compromise' });
  });

  it('lists existing issued and expired orders with their order ids and products', async () => {
    const local = await startFakeDigicert();
    try {
      const valid = await local.seedExistingOrders(3, { productNameId: 'ssl_plus' });
      const expired = await local.seedExistingOrders(1, { expired: true });
      const config = parseConfig(
        digicertConfigSchema,
        { api_key: local.apiKey, org_id: local.organizationId, base_url: local.baseUrl, ca_bundle_path: caPath },
        'issuer-digicert',
      );
      await writeFile(caPath, local.caPem!);
      const items = [];
      for await (const item of createDigicertIssuer(config, ctx, 'test').listExisting()) items.push(item);
      expect(items.map((i) => i.orderId)).toEqual([...valid, ...expired].map(String));
      expect(items[0]!.metadata).toMatchObject({ product: 'ssl_plus', status: 'issued' });
      expect(items[3]!.metadata.status).toBe('expired');
      expect(opensslVerify(items[0]!.certificatePem, local.issuingCa.certificatePem)).toMatch(/: OK/);
    } finally {
      await writeFile(caPath, fake.caPem!);
      await local.close();
    }
  });
});
