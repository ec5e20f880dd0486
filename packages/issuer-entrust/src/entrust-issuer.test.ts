import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestContext, createTestCsr, issueRequestFor, type TestContext } from '@certctl/connector-testkit';
import {
  AuthenticationError,
  ConfigValidationError,
  ConnectorError,
  configFromEnv,
  createRegistry,
  type IssuedCertificate,
  parseConfig,
} from '@certctl/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import manifest from './index.js';
import { entrustConfigSchema, entrustEnvMapping, type EntrustIssuerConfigInput } from './entrust-config.js';
import { createEntrustIssuer, type EntrustIssuer } from './entrust-issuer.js';
import { type EntrustSetup, setUpEntrust } from './test-support/entrust-setup.js';

const run = promisify(execFile);
let setup: EntrustSetup;
const contexts: TestContext[] = [];
const issuers: EntrustIssuer[] = [];

beforeAll(async () => {
  setup = await setUpEntrust();
});
afterEach(async () => {
  for (const issuer of issuers.splice(0)) await issuer.stop();
  for (const ctx of contexts.splice(0)) await ctx.cleanup();
});
afterAll(async () => {
  await setup.close();
});

async function issuerWith(config: EntrustIssuerConfigInput): Promise<{ issuer: EntrustIssuer; ctx: TestContext }> {
  const ctx = await createTestContext();
  contexts.push(ctx);
  const issuer = createEntrustIssuer(parseConfig(entrustConfigSchema, config, 'issuer-entrust'), ctx, 'test');
  issuers.push(issuer);
  return { issuer, ctx };
}

const request = async (overrides: Parameters<typeof issueRequestFor>[1] = {}) =>
  issueRequestFor(await createTestCsr({ commonName: 'app.example.test' }), {
    maxTtlSeconds: 30 * 86_400,
    ...overrides,
  });

async function opensslVerify(leafPem: string): Promise<string> {
  await writeFile(join(setup.dir.path, 'leaf.pem'), leafPem);
  await writeFile(join(setup.dir.path, 'issuing-ca.pem'), setup.fake.issuingCa.certificatePem);
  const { stdout } = await run(
    'openssl',
    ['verify', '-CAfile', 'issuing-ca.pem', '-purpose', 'sslserver', 'leaf.pem'],
    {
      cwd: setup.dir.path,
    },
  );
  return stdout;
}

describe('CA Gateway mode', () => {
  it('returns a pending order on 201, and the certificate once an Entrust administrator approves it; openssl verifies it', async () => {
    const { issuer } = await issuerWith(setup.gatewayConfig({ profile_id: setup.fake.profiles.approval }));
    const first = await issuer.issue(await request());
    expect(first.status).toBe('pending');
    if (first.status !== 'pending') return;
    expect(first.detail).toMatch(/administrator/);
    const sent = setup.fake.vendor.requests.filter((r) => r.path.endsWith('/enrollments')).at(-1)!;
    expect(sent.clientCertificateSubject).toContain('certctl-entrust-client');
    expect(JSON.parse(sent.body)).toMatchObject({
      profileId: setup.fake.profiles.approval,
      requiredFormat: { format: 'PEM' },
    });

    expect((await issuer.getOrder(first.orderId)).status).toBe('pending');
    await setup.fake.approve(first.orderId);
    const done = await issuer.getOrder(first.orderId);
    expect(done.status).toBe('issued');
    expect((await opensslVerify((done as IssuedCertificate).certificatePem)).trim()).toBe('leaf.pem: OK');
  });

  it('ends a declined enrollment as failed with the reason Entrust gives', async () => {
    const { issuer } = await issuerWith(setup.gatewayConfig({ profile_id: setup.fake.profiles.approval }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    setup.fake.decline(first.orderId, 'domain ownership could not be confirmed');
    const result = await issuer.getOrder(first.orderId);
    expect(result).toMatchObject({ status: 'failed', orderId: first.orderId });
    expect(result.status === 'failed' && result.reason).toContain('domain ownership could not be confirmed');
  });

  it('renews naming the serial it replaces, and reads the Gateway certificate as base64 DER too', async () => {
    const { issuer } = await issuerWith(setup.gatewayConfig({ profile_id: setup.fake.profiles.approval }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    await setup.fake.approve(first.orderId);
    const original = (await issuer.getOrder(first.orderId)) as IssuedCertificate;
    await issuer.renew(await request({ replacesCertificatePem: original.certificatePem }));
    const sent = JSON.parse(setup.fake.vendor.requests.filter((r) => r.path.endsWith('/enrollments')).at(-1)!.body);
    expect(sent).toMatchObject({ renewal: true, properties: { RenewalSerialNumber: original.serial } });
  });

  it('revokes through a RevokeAction on the Gateway with the RFC 5280 reason', async () => {
    const { issuer } = await issuerWith(setup.gatewayConfig());
    const issued = (await issuer.issue(await request())) as IssuedCertificate;
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const order = [...setup.fake.orders.values()].find((o) => o.leaf?.serial === issued.serial)!;
    expect(order).toMatchObject({ state: 'REVOKED', revocationReason: 'keyCompromise' });
  });

  it('uses a client certificate rotated on disk on the next call, without a restart', async () => {
    const { issuer } = await issuerWith(setup.gatewayConfig());
    await issuer.issue(await request());
    expect(setup.fake.vendor.requests.at(-1)!.clientCertificateSubject).toContain('certctl-entrust-client');
    const rotated = await setup.fake.clientCredential('certctl-entrust-rotated');
    await setup.rotateTo(rotated);
    try {
      await issuer.issue(await request());
      expect(setup.fake.vendor.requests.at(-1)!.clientCertificateSubject).toContain('certctl-entrust-rotated');
    } finally {
      await setup.rotateTo(setup.credential);
    }
  });

  it('fails with a typed error when the client certificate is not one the Gateway trusts', async () => {
    const stranger = await setup.fake.strangerCredential();
    const certPath = join(setup.dir.path, 'stranger.crt');
    const keyPath = join(setup.dir.path, 'stranger.key');
    await writeFile(certPath, stranger.certificatePem);
    await writeFile(keyPath, stranger.privateKeyPem);
    const { issuer } = await issuerWith(setup.gatewayConfig({ client_cert_path: certPath, client_key_path: keyPath }));
    const error = await issuer.issue(await request()).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
  });

  it('names the missing permission on a 403 and puts no key material in errors or logs', async () => {
    const readOnly = await setup.fake.clientCredential('certctl-read-only', ['view']);
    const certPath = join(setup.dir.path, 'ro.crt');
    const keyPath = join(setup.dir.path, 'ro.key');
    await writeFile(certPath, readOnly.certificatePem);
    await writeFile(keyPath, readOnly.privateKeyPem);
    const { issuer, ctx } = await issuerWith(
      setup.gatewayConfig({ client_cert_path: certPath, client_key_path: keyPath }),
    );
    const error = await issuer.issue(await request()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/403/);
    expect((error as Error).message).toContain("lacks the 'Enroll' permission");
    const keyBody = readOnly.privateKeyPem.split('\n')[1]!;
    expect(JSON.stringify({ m: (error as Error).message, s: (error as Error).stack, logs: ctx.logs })).not.toContain(
      keyBody,
    );
  });

  it('waits out a 429 with the Retry-After Entrust sends, then answers', async () => {
    const { issuer, ctx } = await issuerWith(setup.gatewayConfig({ profile_id: setup.fake.profiles.approval }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    setup.fake.rateLimitNext(7, 'gateway');
    expect((await issuer.getOrder(first.orderId)).status).toBe('pending');
    expect((ctx.clock as unknown as { sleeps: number[] }).sleeps).toContain(7000);
  });

  it('lists the certificates the CA holds from its certificate events, across pages', async () => {
    const local = await setUpEntrust({ eventPageSize: 2 });
    try {
      const ctx = await createTestContext();
      contexts.push(ctx);
      const issuer = createEntrustIssuer(
        parseConfig(
          entrustConfigSchema,
          {
            api_url: local.fake.gatewayUrl,
            ca_id: local.fake.caId,
            profile_id: local.fake.profiles.auto,
            client_cert_path: local.certPath,
            client_key_path: local.keyPath,
            server_ca_path: local.serverCaPath,
          },
          'issuer-entrust',
        ),
        ctx,
        'test',
      );
      issuers.push(issuer);
      const serials: string[] = [];
      for (let i = 0; i < 5; i++) serials.push(((await issuer.issue(await request())) as IssuedCertificate).serial);
      const listed: string[] = [];
      for await (const item of issuer.listExisting()) listed.push(item.metadata.entrust_serial!);
      expect(listed.sort()).toEqual(serials.sort());
    } finally {
      await local.close();
    }
  });
});

describe('enterprise API mode', () => {
  it('reads organizations, domains and products into the connector at start', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig());
    await issuer.start();
    expect(issuer.account?.organizations.map((o) => o.name)).toEqual(['Example Corp']);
    expect(issuer.account?.domains.map((d) => d.domainName)).toContain('example.test');
    expect(issuer.account?.products.map((p) => p.certType)).toEqual(['STANDARD_SSL', 'ADVANTAGE_SSL']);
    expect((await issuer.testConnection()).detail).toMatch(/1 organization\(s\)/);
  });

  it('offers the synced account through the runtime as snake_case metadata, and the Gateway its profiles', async () => {
    const ctx = await createTestContext();
    contexts.push(ctx);
    const registry = createRegistry({ createContext: ({ logger }) => ({ ...ctx, logger }) });
    registry.register(manifest);
    try {
      const enterprise = await registry.instantiate('issuer', 'entrust', setup.enterpriseConfig(), { instanceId: 'e' });
      const account = await enterprise.accountMetadata();
      expect(account).toMatchObject({
        api_mode: 'enterprise',
        organizations: [{ name: 'Example Corp', client_id: 1, verification_status: 'APPROVED' }],
        products: [
          { cert_type: 'STANDARD_SSL', remaining: expect.any(Number) },
          { cert_type: 'ADVANTAGE_SSL', remaining: expect.any(Number) },
        ],
      });
      expect((account.domains as { domain: string }[]).map((d) => d.domain)).toContain('example.com');
      const gateway = await registry.instantiate('issuer', 'entrust', setup.gatewayConfig(), { instanceId: 'g' });
      expect(await gateway.accountMetadata()).toEqual({
        api_mode: 'ca_gateway',
        ca_id: setup.fake.caId,
        profiles: [
          { id: setup.fake.profiles.auto, name: 'TLS server (auto-approved)' },
          { id: setup.fake.profiles.approval, name: 'TLS server (administrator approval)' },
        ],
      });
    } finally {
      await registry.stopAll();
    }
  });

  it('reports a product the account does not have as a config error naming cert_type', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig({ cert_type: 'EV_SSL' }));
    const error = await issuer.testConnection().catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect((error as ConfigValidationError).issues[0]).toMatchObject({ path: 'cert_type' });
    expect((error as Error).message).toContain('STANDARD_SSL');
  });

  it('queues an order for approval with the CT log choice; approval completes it, a decline fails it with the reason', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig({ queue_for_approval: true, ct_log: false }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    const sent = JSON.parse(
      setup.fake.vendor.requests.filter((r) => r.path === '/enterprise/v2/certificates' && r.method === 'POST').at(-1)!
        .body,
    );
    expect(sent).toMatchObject({
      queueForApproval: true,
      ctLog: false,
      certType: 'STANDARD_SSL',
      org: 'Example Corp',
      clientId: 1,
    });
    expect(setup.fake.orders.get(first.orderId)!.ctLog).toBe(false);
    await setup.fake.approve(first.orderId);
    const issued = await issuer.getOrder(first.orderId);
    expect(issued.status).toBe('issued');
    expect((await opensslVerify((issued as IssuedCertificate).certificatePem)).trim()).toBe('leaf.pem: OK');

    const second = await issuer.issue(await request());
    if (second.status !== 'pending') throw new Error('expected a pending order');
    setup.fake.decline(second.orderId, 'the requester is not authorised for this domain');
    expect(await issuer.getOrder(second.orderId)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('the requester is not authorised for this domain'),
    });
  });

  it('lets a credential with the approve permission act as the Entrust administrator, and names the permission when it lacks it', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig({ queue_for_approval: true }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    expect((await issuer.approveOrder(first.orderId)).status).toBe('issued');
    const second = await issuer.issue(await request());
    if (second.status !== 'pending') throw new Error('expected a pending order');
    expect(await issuer.declineOrder(second.orderId, 'not needed any more')).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('not needed any more'),
    });
    const requester = setup.fake.addApiUser('requester', ['view', 'request']);
    const limited = await issuerWith(
      setup.enterpriseConfig({ username: 'requester', api_key: requester, queue_for_approval: true }),
    );
    const third = await limited.issuer.issue(await request());
    if (third.status !== 'pending') throw new Error('expected a pending order');
    const error = await limited.issuer.approveOrder(third.orderId).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("lacks the 'Approve Requests' permission");
  });

  it('reissues on the same order with a new key, and renews as a new order', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig());
    const original = (await issuer.issue(await request())) as IssuedCertificate;
    const reissued = (await issuer.reissue(
      await request({ replacesCertificatePem: original.certificatePem }),
    )) as IssuedCertificate;
    expect(reissued.orderId).toBe(original.orderId);
    expect(reissued.serial).not.toBe(original.serial);
    expect(setup.fake.orders.get(original.orderId!)!.reissues).toBe(1);

    const renewed = (await issuer.renew(
      await request({ replacesCertificatePem: reissued.certificatePem }),
    )) as IssuedCertificate;
    expect(renewed.orderId).not.toBe(original.orderId);
    expect(setup.fake.orders.get(renewed.orderId!)!.renewedFrom).toBe(original.orderId);
  });

  it('orders the product a certctl profile names when it is an Entrust product code, else cert_type', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig());
    const advantage = (await issuer.issue(await request({ profile: 'ADVANTAGE_SSL' }))) as IssuedCertificate;
    expect(setup.fake.orders.get(advantage.orderId!)!.certType).toBe('ADVANTAGE_SSL');
    const own = (await issuer.issue(await request({ profile: 'web-servers' }))) as IssuedCertificate;
    expect(setup.fake.orders.get(own.orderId!)!.certType).toBe('STANDARD_SSL');
  });

  it('revokes through the order that holds the serial', async () => {
    const { issuer } = await issuerWith(setup.enterpriseConfig());
    const issued = (await issuer.issue(await request())) as IssuedCertificate;
    await issuer.revoke({ serial: issued.serial, reason: 'superseded' });
    expect(setup.fake.orders.get(issued.orderId!)).toMatchObject({ state: 'REVOKED', revocationReason: 'SUPERSEDED' });
  });

  it('names the missing permission on a 403 and never shows the API key in errors or logs', async () => {
    const apiKey = setup.fake.addApiUser('viewer', ['view']);
    const { issuer, ctx } = await issuerWith(setup.enterpriseConfig({ username: 'viewer', api_key: apiKey }));
    const error = await issuer.issue(await request()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("'Request Certificates' permission");
    const wrong = await issuerWith(setup.enterpriseConfig({ api_key: 'not-the-key-0123456789' }));
    const refused = await wrong.issuer.issue(await request()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/401.*api_key/);
    const basic = Buffer.from(`viewer:${apiKey}`).toString('base64');
    for (const text of [
      JSON.stringify(ctx.logs),
      JSON.stringify(wrong.ctx.logs),
      (error as Error).message,
      (refused as Error).message,
    ]) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(basic);
      expect(text).not.toContain('not-the-key-0123456789');
    }
  });

  it('lists the account’s existing orders for import, expired ones included, each with its tracking id', async () => {
    const local = await setUpEntrust();
    try {
      await local.fake.seedExisting(20, { expired: 4 });
      const ctx = await createTestContext();
      contexts.push(ctx);
      const issuer = createEntrustIssuer(
        parseConfig(entrustConfigSchema, local.enterpriseConfig(), 'issuer-entrust'),
        ctx,
        'test',
      );
      issuers.push(issuer);
      const items = [];
      for await (const item of issuer.listExisting()) items.push(item);
      expect(items).toHaveLength(20);
      expect(new Set(items.map((i) => i.orderId)).size).toBe(20);
      expect(items.filter((i) => i.metadata.entrust_state === 'expired')).toHaveLength(4);
      expect(items[0]!.metadata).toMatchObject({
        entrust_cert_type: 'STANDARD_SSL',
        entrust_organization: 'Example Corp',
      });
    } finally {
      await local.close();
    }
  });
});

describe('configuration', () => {
  it('is seeded from the reference CERTCTL_ENTRUST_* variables', () => {
    const env = {
      CERTCTL_ENTRUST_API_URL: 'https://cagw.example.com/cagw',
      CERTCTL_ENTRUST_CLIENT_CERT_PATH: '/etc/certctl/entrust/client.crt',
      CERTCTL_ENTRUST_CLIENT_KEY_PATH: '/etc/certctl/entrust/client.key',
      CERTCTL_ENTRUST_CA_ID: 'ca-1',
      CERTCTL_ENTRUST_PROFILE_ID: 'tls-server',
      CERTCTL_ENTRUST_POLL_MAX_WAIT_SECONDS: '86400',
    };
    const config = parseConfig(
      entrustConfigSchema,
      configFromEnv(entrustConfigSchema, entrustEnvMapping, env),
      'issuer-entrust',
    );
    expect(config).toMatchObject({
      api_mode: 'ca_gateway',
      api_url: 'https://cagw.example.com/cagw',
      ca_id: 'ca-1',
      profile_id: 'tls-server',
      poll_max_wait_seconds: 86_400,
    });
  });

  it('requires the API username and key in enterprise mode', () => {
    const error = (() => {
      try {
        parseConfig(
          entrustConfigSchema,
          { api_mode: 'enterprise', api_url: 'https://api.entrust.net', client_cert_path: 'c', client_key_path: 'k' },
          'issuer-entrust',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect((error as ConfigValidationError).issues.map((i) => i.path).sort()).toEqual(['api_key', 'username']);
  });
});
