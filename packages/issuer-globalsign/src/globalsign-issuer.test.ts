import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createFakeClock,
  createTestCa,
  createTestContext,
  createTestCsr,
  issueRequestFor,
  type TestContext,
} from '@certctl/connector-testkit';
import {
  AuthenticationError,
  ConfigValidationError,
  ConnectorError,
  configFromEnv,
  type IssuedCertificate,
  parseConfig,
} from '@certctl/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  atlasBaseUrl,
  globalSignConfigSchema,
  globalSignEnvMapping,
  type GlobalSignIssuerConfigInput,
} from './globalsign-config.js';
import { createGlobalSignIssuer, type GlobalSignIssuer } from './globalsign-issuer.js';
import { type GlobalSignSetup, setUpGlobalSign } from './test-support/globalsign-setup.js';

const run = promisify(execFile);
let setup: GlobalSignSetup;
const contexts: TestContext[] = [];
const issuers: GlobalSignIssuer[] = [];

beforeAll(async () => {
  setup = await setUpGlobalSign();
});
afterEach(async () => {
  setup.fake.holdIssuance(false);
  for (const issuer of issuers.splice(0)) await issuer.stop();
  for (const ctx of contexts.splice(0)) await ctx.cleanup();
});
afterAll(async () => {
  await setup.close();
});

async function issuerWith(
  config: GlobalSignIssuerConfigInput,
  ctxOptions: Parameters<typeof createTestContext>[0] = {},
): Promise<{ issuer: GlobalSignIssuer; ctx: TestContext }> {
  const ctx = await createTestContext(ctxOptions);
  contexts.push(ctx);
  const issuer = createGlobalSignIssuer(parseConfig(globalSignConfigSchema, config, 'issuer-globalsign'), ctx, 'test');
  issuers.push(issuer);
  return { issuer, ctx };
}

const request = async (overrides: Parameters<typeof issueRequestFor>[1] = {}) =>
  issueRequestFor(await createTestCsr({ commonName: 'app.example.test' }), {
    maxTtlSeconds: 30 * 86_400,
    ...overrides,
  });

const sleeps = (ctx: TestContext) => (ctx.clock as unknown as { sleeps: number[] }).sleeps;

describe('issuance', () => {
  it('logs in, requests, waits through the 202s and returns the certificate; openssl verifies it with the trust chain', async () => {
    const { issuer } = await issuerWith(setup.config());
    const issued = (await issuer.issue(await request())) as IssuedCertificate;
    expect(issued.status).toBe('issued');
    const sent = setup.fake.vendor.requests.filter((r) => r.path === '/v2/certificates').at(-1)!;
    expect(sent.headers.authorization).toMatch(/^Bearer /);
    expect(sent.clientCertificateSubject).toContain('certctl-atlas-client');
    const body = JSON.parse(sent.body);
    expect(body.subject_dn).toEqual({ common_name: 'app.example.test' });
    expect(body.san).toEqual({ dns_names: ['app.example.test'] });
    expect(body.validity.not_after - body.validity.not_before).toBe(30 * 86_400);
    expect(issued.chainPem.map((pem) => pem.trim())).toEqual([setup.fake.issuingCa.certificatePem.trim()]);
    await writeFile(join(setup.dir.path, 'leaf.pem'), issued.certificatePem);
    await writeFile(join(setup.dir.path, 'chain.pem'), issued.chainPem.join(''));
    const { stdout } = await run('openssl', ['verify', '-CAfile', 'chain.pem', '-purpose', 'sslserver', 'leaf.pem'], {
      cwd: setup.dir.path,
    });
    expect(stdout.trim()).toBe('leaf.pem: OK');
  });

  it('hands back a pending order when validation takes longer than issue_wait_seconds; getOrder completes it', async () => {
    setup.fake.holdIssuance(true);
    const { issuer } = await issuerWith(setup.config({ issue_wait_seconds: 20 }));
    const first = await issuer.issue(await request());
    expect(first).toMatchObject({ status: 'pending', detail: expect.stringMatching(/validating/) });
    if (first.status !== 'pending') return;
    expect((await issuer.getOrder(first.orderId)).status).toBe('pending');
    await setup.fake.release(first.orderId);
    const done = await issuer.getOrder(first.orderId);
    expect(done).toMatchObject({ status: 'issued', serial: first.orderId });
  });

  it('ends an order Atlas could not validate as failed with Atlas’ description', async () => {
    setup.fake.holdIssuance(true);
    const { issuer } = await issuerWith(setup.config({ issue_wait_seconds: 0 }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    setup.fake.fail(first.orderId, 'domain control validation failed for app.example.test');
    expect(await issuer.getOrder(first.orderId)).toEqual({
      status: 'failed',
      orderId: first.orderId,
      reason: 'domain control validation failed for app.example.test',
    });
  });

  it('revokes by serial, and treats an already revoked certificate as revoked', async () => {
    const { issuer } = await issuerWith(setup.config());
    const issued = (await issuer.issue(await request())) as IssuedCertificate;
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    expect(setup.fake.certificates.get(issued.serial)!.state).toBe('REVOKED');
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
  });

  it('waits out a 429 with the Retry-After Atlas sends', async () => {
    setup.fake.holdIssuance(true);
    const { issuer, ctx } = await issuerWith(setup.config({ issue_wait_seconds: 0 }));
    const first = await issuer.issue(await request());
    if (first.status !== 'pending') throw new Error('expected a pending order');
    setup.fake.rateLimitNext(9);
    expect((await issuer.getOrder(first.orderId)).status).toBe('pending');
    expect(sleeps(ctx)).toContain(9000);
  });

  it('lists the certificates Atlas issued, across pages, for import', async () => {
    const local = await setUpGlobalSign();
    try {
      const seeded = await local.fake.seedExisting(101);
      const ctx = await createTestContext();
      contexts.push(ctx);
      const issuer = createGlobalSignIssuer(
        parseConfig(globalSignConfigSchema, local.config(), 'issuer-globalsign'),
        ctx,
        'test',
      );
      issuers.push(issuer);
      const listed: string[] = [];
      for await (const item of issuer.listExisting()) listed.push(item.orderId!);
      expect(listed.sort()).toEqual(seeded.map((c) => c.serial).sort());
    } finally {
      await local.close();
    }
  }, 60_000);
});

describe('authentication', () => {
  it('renews the access token before it expires, and once more when Atlas says it expired', async () => {
    const clock = createFakeClock({ start: Date.now(), autoAdvance: true });
    const local = await setUpGlobalSign({ now: () => clock.now().getTime(), pendingPolls: 0 });
    try {
      const ctx = await createTestContext({ clock });
      contexts.push(ctx);
      const issuer = createGlobalSignIssuer(
        parseConfig(globalSignConfigSchema, local.config(), 'issuer-globalsign'),
        ctx,
        'test',
      );
      issuers.push(issuer);
      await issuer.start();
      expect(local.fake.logins).toBe(1);
      await issuer.caChain();
      await issuer.issue(await request());
      expect(local.fake.logins).toBe(1);
      await clock.advance(541_000);
      await issuer.issue(await request());
      expect(local.fake.logins).toBe(2);
      local.fake.expireTokens();
      await issuer.issue(await request());
      expect(local.fake.logins).toBe(3);
    } finally {
      await local.close();
    }
  });

  it('uses a client certificate rotated on disk on the next call, without a restart', async () => {
    const { issuer } = await issuerWith(setup.config());
    await issuer.issue(await request());
    const rotated = await setup.fake.clientCredential('certctl-atlas-rotated');
    await setup.rotateTo(rotated);
    try {
      await issuer.issue(await request());
      expect(setup.fake.vendor.requests.at(-1)!.clientCertificateSubject).toContain('certctl-atlas-rotated');
    } finally {
      await setup.rotateTo(setup.credential);
    }
  });

  it('refuses a login whose client certificate is not bound to the key, or whose secret is wrong, and shows no secret', async () => {
    const unbound = await setup.writeCredential('unbound', await setup.fake.unboundCredential('someone-else'));
    const a = await issuerWith(setup.config({ client_cert_path: unbound.certPath, client_key_path: unbound.keyPath }));
    const first = await a.issuer.issue(await request()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(first)).toBe(true);
    expect((first as Error).message).toMatch(/401.*client_cert_path/);

    const b = await issuerWith(setup.config({ api_secret: 'wrong-secret-value-123456' }));
    const second = await b.issuer.testConnection().catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(second)).toBe(true);
    expect((second as Error).message).toContain('api_secret');
    for (const text of [
      (first as Error).message,
      (second as Error).message,
      JSON.stringify(a.ctx.logs),
      JSON.stringify(b.ctx.logs),
    ]) {
      expect(text).not.toContain(setup.fake.apiSecret);
      expect(text).not.toContain('wrong-secret-value-123456');
    }
  });

  it('fails the handshake with a typed error for a client certificate from another CA', async () => {
    const stranger = await setup.writeCredential('stranger', await setup.fake.strangerCredential());
    const { issuer } = await issuerWith(
      setup.config({ client_cert_path: stranger.certPath, client_key_path: stranger.keyPath }),
    );
    const error = await issuer.issue(await request()).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
  });

  it('pins the API TLS to server_ca_path: another CA is not trusted', async () => {
    const other = await createTestCa({ commonName: 'not the Atlas CA' });
    const pin = join(setup.dir.path, 'other-ca.pem');
    await writeFile(pin, other.certificatePem);
    const { issuer } = await issuerWith(setup.config({ server_ca_path: pin }));
    const error = await issuer.testConnection().catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).not.toMatch(/401|403/);
  });

  it('names the missing role on a 403 and shows no secret', async () => {
    const limited = setup.fake.addApiKey(['retrieve']);
    const { issuer, ctx } = await issuerWith(setup.config({ api_key: limited.apiKey, api_secret: limited.apiSecret }));
    const error = await issuer.issue(await request()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("lacks the 'Certificate Issuance' permission");
    expect(`${(error as Error).message}${JSON.stringify(ctx.logs)}`).not.toContain(limited.apiSecret);
  });
});

describe('configuration', () => {
  it('is seeded from the reference CERTCTL_GLOBALSIGN_* variables', () => {
    const env = {
      CERTCTL_GLOBALSIGN_API_URL: 'https://emea.api.hvca.globalsign.com:8443/v2',
      CERTCTL_GLOBALSIGN_API_KEY: 'key',
      CERTCTL_GLOBALSIGN_API_SECRET: 'secret',
      CERTCTL_GLOBALSIGN_CLIENT_CERT_PATH: '/etc/certctl/globalsign/client.crt',
      CERTCTL_GLOBALSIGN_CLIENT_KEY_PATH: '/etc/certctl/globalsign/client.key',
      CERTCTL_GLOBALSIGN_SERVER_CA_PATH: '/etc/certctl/globalsign/ca.pem',
      CERTCTL_GLOBALSIGN_POLL_MAX_WAIT_SECONDS: '1200',
    };
    const config = parseConfig(
      globalSignConfigSchema,
      configFromEnv(globalSignConfigSchema, globalSignEnvMapping, env),
      'issuer-globalsign',
    );
    expect(config).toMatchObject({
      api_key: 'key',
      server_ca_path: '/etc/certctl/globalsign/ca.pem',
      poll_max_wait_seconds: 1200,
    });
  });

  it('takes the region’s public URL when api_url is not set', () => {
    const config = parseConfig(
      globalSignConfigSchema,
      { region: 'emea', api_key: 'k', api_secret: 's', client_cert_path: 'c', client_key_path: 'k' },
      'issuer-globalsign',
    );
    expect(atlasBaseUrl(config)).toBe('https://emea.api.hvca.globalsign.com:8443/v2');
    const error = (() => {
      try {
        parseConfig(
          globalSignConfigSchema,
          { api_key: 'k', api_secret: 's', client_cert_path: 'c', client_key_path: 'k' },
          'x',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigValidationError.isInstance(error)).toBe(true);
  });
});
