import { AuthenticationError, type DiscoveredCertificate, VendorApiError } from '@certctl/core';
import {
  createSecretStoreCertificates,
  createTempDir,
  createTestContext,
  type FakeKeyVault,
  type SecretStoreCertificates,
  startFakeKeyVault,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AzureKvDiscoveryConfigInput, azureKvConfigSchema, vaultName } from './azurekv-config.js';
import { createAzureKvDiscovery } from './azurekv-discovery.js';
import { fakeVaultConfig, seedVault } from './test-support/fake-vault.js';

let vault: FakeKeyVault;
let certs: SecretStoreCertificates;
let dir: TempDir;
let ctx: TestContext;
let versions: Record<string, string>;
let host: string;

beforeAll(async () => {
  certs = await createSecretStoreCertificates();
});
beforeEach(async () => {
  vault = await startFakeKeyVault({ listPageSize: 2 });
  versions = seedVault(vault, certs);
  host = new URL(vault.vaultUrl).host;
  dir = await createTempDir('certctl-azurekv-');
  ctx = await createTestContext();
});
afterEach(async () => {
  await vault.close();
  await dir.remove();
  await ctx.cleanup();
});

async function discovery(overrides: Partial<AzureKvDiscoveryConfigInput> = {}) {
  const config = azureKvConfigSchema.parse({
    ...(await fakeVaultConfig(vault, dir.path)),
    max_retries: 1,
    ...overrides,
  });
  return createAzureKvDiscovery(config, ctx);
}

async function scanAll(overrides: Partial<AzureKvDiscoveryConfigInput> = {}): Promise<DiscoveredCertificate[]> {
  const source = await discovery(overrides);
  const items: DiscoveredCertificate[] = [];
  for await (const item of source.scan(new AbortController().signal)) items.push(item);
  return items;
}

const scanError = (overrides: Partial<AzureKvDiscoveryConfigInput> = {}) =>
  scanAll(overrides).then(
    () => {
      throw new Error('the scan succeeded');
    },
    (error: unknown) => error as Error,
  );

describe('Azure Key Vault discovery', () => {
  it('reports Key Vault certificates (public part) and certificates kept as secrets, with openssl fingerprints', async () => {
    const items = await scanAll();
    const at = (name: string) => `azure-kv://${host}/${name}/${versions[name]}`;
    expect(
      items.map((i) => [i.location, i.metadata.object_type, i.metadata.format, i.metadata.common_name]).sort(),
    ).toEqual(
      [
        [at('web-cert'), 'certificate', 'der', 'app.secret-store.test'],
        [at('api-pem'), 'secret', 'pem', 'other.secret-store.test'],
        [at('legacy-pfx'), 'secret', 'pkcs12', 'app.secret-store.test'],
        [at('legacy-pfx'), 'secret', 'pkcs12', 'certctl secret-store test CA'],
      ].sort(),
    );
    const fingerprints = new Map([
      ['app.secret-store.test', await certs.opensslFingerprint(certs.leafPem)],
      ['other.secret-store.test', await certs.opensslFingerprint(certs.otherPem)],
      ['certctl secret-store test CA', await certs.opensslFingerprint(certs.caPem)],
    ]);
    for (const item of items) {
      expect(item.metadata.fingerprint_sha256).toBe(fingerprints.get(item.metadata.common_name!));
    }
    // The certificate's backing secret (its key) was never read; the disabled certificate neither.
    const secretReads = vault.requests.filter((r) => r.method === 'GET' && /^\/secrets\/[^/]+/.test(r.path));
    expect(secretReads.some((r) => /web-cert/.test(r.path))).toBe(false);
    expect(vault.requests.some((r) => r.path.startsWith('/certificates/web-cert-disabled'))).toBe(false);
    expect(ctx.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'PKCS#12 content needs a password: set pkcs12_password' }),
    );
    const keyBody = certs.leafKeyPem.split('\n')[1]!;
    expect(JSON.stringify(items)).not.toMatch(/PRIVATE KEY/);
    expect(JSON.stringify(ctx.logs)).not.toContain(keyBody);
    expect(JSON.stringify(ctx.logs)).not.toContain(vault.clientSecret);
  });

  it('the certificate Key Vault serves verifies against the test CA with openssl', async () => {
    const item = (await scanAll()).find((i) => i.metadata.object_type === 'certificate')!;
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(item.certificate as Uint8Array).toString('base64')}\n-----END CERTIFICATE-----\n`;
    await expect(certs.opensslVerify(pem)).resolves.toMatch(/OK/);
  });

  it('follows nextLink pages, filters by name prefix and exact tag, opens a PKCS#12 with pkcs12_password', async () => {
    const tagged = await scanAll({ tag_filter: 'team=web', pkcs12_password: certs.pkcs12Password });
    expect(new Set(tagged.map((i) => i.metadata.name))).toEqual(new Set(['web-cert', 'legacy-pfx']));
    const lists = vault.requests.filter((r) => r.path === '/secrets' && r.headers.authorization);
    expect(lists.length).toBeGreaterThan(1);
    expect(lists.slice(1).every((r) => /skiptoken=/.test(decodeURIComponent(r.query)))).toBe(true);

    const locked = await scanAll({ name_prefix: 'LOCKED', pkcs12_password: certs.pkcs12Password });
    expect(locked.map((i) => [i.metadata.name, i.metadata.format])).toEqual([
      ['locked-pfx', 'pkcs12'],
      ['locked-pfx', 'pkcs12'],
    ]);
  });

  it('the vault name in source paths is the first label of a vault.azure.net host', () => {
    expect(vaultName('https://prod-tls.vault.azure.net/')).toBe('prod-tls');
    expect(vaultName('https://kv1.vault.azure.cn')).toBe('kv1');
    expect(vaultName('https://vault.internal.example:8443')).toBe('vault.internal.example:8443');
  });

  it('managed_identity mode gets its token from the host identity endpoint (App Service)', async () => {
    vi.stubEnv('IDENTITY_ENDPOINT', vault.identityEndpoint);
    vi.stubEnv('IDENTITY_HEADER', vault.identityHeader);
    try {
      const {
        tenant_id: _t,
        client_id: _c,
        client_secret: _s,
        authority_host: _a,
        ...rest
      } = await fakeVaultConfig(vault, dir.path);
      const source = createAzureKvDiscovery(
        azureKvConfigSchema.parse({ ...rest, credential_mode: 'managed_identity', include_secrets: false }),
        ctx,
      );
      const items: DiscoveredCertificate[] = [];
      for await (const item of source.scan(new AbortController().signal)) items.push(item);
      expect(items.map((i) => i.metadata.name)).toEqual(['web-cert']);
      expect(vault.aadRequests).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a wrong client secret is an AuthenticationError from Azure AD, without the secret', async () => {
    const error = await scanError({ client_secret: 'not-the-secret' });
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/Azure AD refused a token for list certificates \(invalid_client\).*client_secret/);
    expect(error.message).not.toContain('not-the-secret');
  });

  it('a missing list permission names it; a denied secret read is skipped; nothing readable is an error', async () => {
    vault.revoke(vault.clientId, 'certificates/list');
    const listError = await scanError();
    expect(AuthenticationError.isInstance(listError)).toBe(true);
    expect(listError.message).toContain('grant certificates/list');
    vault.grant(vault.clientId, 'certificates/list');

    vault.revoke(vault.clientId, 'secrets/get');
    const items = await scanAll();
    expect(items.map((i) => i.metadata.object_type)).toEqual(['certificate']);
    expect(ctx.metricsRecorded).toContainEqual(
      expect.objectContaining({
        name: 'discovery_secret_read_failures_total',
        labels: { connector: 'discovery-azurekv', code: '403' },
      }),
    );

    vault.revoke(vault.clientId, 'certificates/get');
    const readError = await scanError();
    expect(AuthenticationError.isInstance(readError)).toBe(true);
    expect(readError.message).toMatch(/grant certificates\/get and secrets\/get/);
  });

  it('throttling (429 with Retry-After) is retried; past max_retries it is a retryable VendorApiError', async () => {
    vault.failNext('listCertificates', { status: 429, code: 'Throttled', retryAfterSeconds: 0 });
    expect((await scanAll()).length).toBe(4);

    for (let i = 0; i < 2; i++)
      vault.failNext('listCertificates', { status: 429, code: 'Throttled', retryAfterSeconds: 0 });
    const error = await scanError();
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(true);
    expect(error.message).toContain('throttled');
  });

  it('testConnection lists certificates; an aborted scan makes no call', async () => {
    const source = await discovery();
    await expect(source.testConnection()).resolves.toMatchObject({ ok: true });
    expect(vault.requests.some((r) => r.path === '/certificates' && r.headers.authorization)).toBe(true);
    const before = vault.requests.length;
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(source.scan(controller.signal)[Symbol.asyncIterator]().next()).rejects.toThrow('stopped');
    expect(vault.requests.length).toBe(before);
  });
});
