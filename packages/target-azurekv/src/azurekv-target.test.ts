import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  type FakeKeyVault,
  startFakeKeyVault,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConnectorError, type DeployRequest, parseConfig, VendorApiError } from '@certctl/core';
import { parsePkcs12 } from '@certctl/pki';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { azureKvConfigSchema } from './azurekv-config.js';
import { createAzureKvTarget } from './azurekv-target.js';
import { fakeVaultConfig } from './test-support/fake-vault-config.js';

let vault: FakeKeyVault;
let dir: TempDir;
let ctx: TestContext;
let names = 0;
let name: string;

beforeAll(async () => {
  vault = await startFakeKeyVault();
  dir = await createTempDir('certctl-azurekv-');
});
afterAll(async () => {
  await vault.close();
  await dir.remove();
});
beforeEach(async () => {
  ctx = await createTestContext();
  name = `cert-${++names}`;
});
afterEach(() => ctx.cleanup());

async function target(extra: Record<string, unknown> = {}) {
  const wire = await fakeVaultConfig(vault, dir.path, { certificate_name: name, ...extra });
  return createAzureKvTarget(parseConfig(azureKvConfigSchema, wire, 'target-azurekv'), ctx);
}

const request = (certificateId = 'mc-api'): Promise<DeployRequest> =>
  createTestDeployRequest({ commonName: 'api.example.test', metadata: { certificate_id: certificateId } });

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConnectorError.isInstance(error), `expected a typed error, got ${String(error)}`).toBe(true);
  return error as ConnectorError;
}

const derOf = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
const latestIs = (req: DeployRequest) => vault.latest(name)?.cer === derOf(req.certPem).toString('base64');

describe('deploys as versions of one certificate', () => {
  it('imports a PKCS#12 version with tags, through the challenge flow and a client-credential token', async () => {
    const mark = { vault: vault.requests.length, aad: vault.aadRequests.length };
    const req = await request('mc-api-prod');
    const result = await (await target({ tags: { env: 'prod' } })).deploy(req);
    expect(result.changed).toBe(true);
    const latest = vault.latest(name)!;
    expect(latest.contentType).toBe('application/x-pkcs12');
    expect(latest.tags).toEqual({
      env: 'prod',
      'certctl-managed-by': 'certctl',
      'certctl-certificate-id': 'mc-api-prod',
    });
    expect(result.metadata?.key_vault_certificate_id).toBe(`${vault.vaultUrl}/certificates/${name}/${latest.version}`);
    const parsed = parsePkcs12(Buffer.from(latest.secretValue, 'base64'), '');
    expect(Buffer.from(parsed.certificate!).equals(derOf(req.certPem))).toBe(true);

    const calls = vault.requests.slice(mark.vault);
    expect(calls[0]!.headers.authorization).toBeUndefined();
    expect(calls.slice(1).every((r) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(r.headers.authorization ?? ''))).toBe(
      true,
    );
    const token = vault.aadRequests.slice(mark.aad).find((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
    const form = new URLSearchParams(token.body);
    expect(token.path).toBe(`/${vault.tenantId}/oauth2/v2.0/token`);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('https://vault.azure.net/.default');
    expect(form.get('client_id')).toBe(vault.clientId);
    expect(calls.every((r) => new URLSearchParams(r.query).get('api-version') === '2025-07-01')).toBe(true);
  });

  it('a renewal is a new version under the same name; the previous stays', async () => {
    const t = await target();
    const first = await request();
    await t.deploy(first);
    const renewal = await request();
    expect((await t.deploy(renewal)).changed).toBe(true);
    expect(vault.versions(name)).toHaveLength(2);
    expect(latestIs(renewal)).toBe(true);
    expect(
      (await t.validateDeployment({ serial: renewal.serial, fingerprintSha256: renewal.fingerprintSha256 })).valid,
    ).toBe(true);
    expect((await t.validateDeployment({ serial: first.serial })).valid).toBe(false);
  });

  it('format pem stores key, leaf and chain as application/x-pem-file', async () => {
    const req = await request();
    await (await target({ format: 'pem' })).deploy(req);
    const latest = vault.latest(name)!;
    expect(latest.contentType).toBe('application/x-pem-file');
    expect(latest.secretValue).toMatch(/BEGIN PRIVATE KEY[\s\S]+BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/);
  });

  it('the version Key Vault holds chains to the test CA (openssl verify)', async () => {
    const req = await request();
    await (await target({ format: 'pem' })).deploy(req);
    const certs = vault
      .latest(name)!
      .secretValue.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    await writeFile(join(dir.path, 'leaf.pem'), certs[0]!);
    await writeFile(join(dir.path, 'chain.pem'), certs.slice(1).join(''));
    const out = execFileSync(
      'openssl',
      ['verify', '-CAfile', join(dir.path, 'chain.pem'), join(dir.path, 'leaf.pem')],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toContain('OK');
  });

  it('managed identity mode gets its token from the host identity endpoint (App Service)', async () => {
    vi.stubEnv('IDENTITY_ENDPOINT', vault.identityEndpoint);
    vi.stubEnv('IDENTITY_HEADER', vault.identityHeader);
    try {
      const wire = await fakeVaultConfig(vault, dir.path, { certificate_name: name });
      const { tenant_id: _t, client_id: _c, client_secret: _s, authority_host: _a, ...rest } = wire;
      const t = createAzureKvTarget(
        parseConfig(azureKvConfigSchema, { ...rest, credential_mode: 'managed_identity' }, 'target-azurekv'),
        ctx,
      );
      const req = await request();
      expect((await t.deploy(req)).changed).toBe(true);
      expect(latestIs(req)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('failures: the previous version stays or is made current again, and the error says what to do', () => {
  async function deployed(extra: Record<string, unknown> = {}) {
    const t = await target(extra);
    const first = await request();
    await t.deploy(first);
    return { t, first, renewal: await request() };
  }

  it('a wrong client secret: AuthenticationError naming AADSTS7000215, no secret in the message, nothing changed', async () => {
    const { first } = await deployed();
    const t = await target({ client_secret: 'not-the-secret-value' });
    const error = await rejection(t.deploy(await request()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/AADSTS7000215.*client_secret/);
    expect(error.message).not.toContain('not-the-secret-value');
    expect(latestIs(first)).toBe(true);
  });

  it('certificates/import missing: AuthenticationError naming the permission and role, nothing changed', async () => {
    const { t, first, renewal } = await deployed();
    vault.revoke(vault.clientId, 'certificates/import');
    try {
      const error = await rejection(t.deploy(renewal));
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(/grant "certificates import".*Key Vault Certificates Officer/);
      expect(error.message).toContain('nothing was changed');
      expect(vault.versions(name)).toHaveLength(1);
      expect(latestIs(first)).toBe(true);
    } finally {
      vault.grant(vault.clientId, 'certificates/import');
    }
  });

  it('secrets/get missing: refused before the import (no snapshot, no deploy), naming the permission', async () => {
    const { t, renewal } = await deployed();
    vault.revoke(vault.clientId, 'secrets/get');
    try {
      const error = await rejection(t.deploy(renewal));
      expect(error.message).toMatch(/grant "secrets get".*Key Vault Secrets User/);
      expect(vault.versions(name)).toHaveLength(1);
    } finally {
      vault.grant(vault.clientId, 'secrets/get');
    }
  });

  it('a soft-deleted name: 409 explained (recover or purge)', async () => {
    vault.softDelete(name);
    const error = await rejection((await target()).deploy(await request()));
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/soft-deleted.*recover it.*purge/);
    expect(vault.versions(name)).toHaveLength(0);
  });

  it('429 with Retry-After is retried by the SDK; past max_retries a retryable error and nothing changed', async () => {
    const { t, renewal, first } = await deployed({ max_retries: 1 });
    vault.failNext('importCertificate', {
      status: 429,
      code: 'Throttled',
      message: 'Too many requests',
      retryAfterSeconds: 0,
    });
    await t.deploy(renewal);
    expect(latestIs(renewal)).toBe(true);
    void first;
    const next = await request();
    for (let i = 0; i < 2; i++) {
      vault.failNext('importCertificate', {
        status: 429,
        code: 'Throttled',
        message: 'Too many requests',
        retryAfterSeconds: 0,
      });
    }
    const error = await rejection(t.deploy(next));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/throttled/);
    expect(latestIs(renewal)).toBe(true);
  });

  it('an invalid import (400 BadParameter) changes nothing', async () => {
    const { t, first, renewal } = await deployed();
    vault.failNext('importCertificate', {
      status: 400,
      code: 'BadParameter',
      message: 'The specified PEM X.509 certificate content is invalid.',
    });
    const error = await rejection(t.deploy(renewal));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/400 BadParameter.*nothing was changed/);
    expect(latestIs(first)).toBe(true);
  });

  it('an answer lost after Key Vault committed: the previous certificate is current again, the new version disabled', async () => {
    const { t, first, renewal } = await deployed({ max_retries: 0 });
    vault.failNext('importCertificate', {
      status: 500,
      code: 'InternalServerError',
      message: 'injected',
      applied: true,
    });
    const error = await rejection(t.deploy(renewal));
    expect(error.message).toMatch(/imported again as version \w+; version \w+ was disabled/);
    expect(latestIs(first)).toBe(true);
    const versions = vault.versions(name);
    expect(versions).toHaveLength(3);
    expect(versions[1]!.enabled).toBe(false);
    expect(versions[2]!.tags).toEqual(versions[0]!.tags);
    expect(
      ctx.metricsRecorded.some((m) => m.name === 'deploy_rollback_total' && m.labels?.outcome === 'restored'),
    ).toBe(true);
  });

  it('a read-back that fails after the import restores the previous version with a typed error', async () => {
    const { t, first, renewal } = await deployed();
    vault.failNext('getCertificate', { status: 403, code: 'Forbidden', message: 'firewall', skip: 1 });
    const error = await rejection(t.deploy(renewal));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toContain('was imported again');
    expect(latestIs(first)).toBe(true);
    expect((await t.validateDeployment({ serial: first.serial })).valid).toBe(true);
  });

  it('a restore that fails too says so', async () => {
    const { t, renewal } = await deployed();
    vault.failNext('getCertificate', { status: 403, code: 'Forbidden', message: 'firewall', skip: 1 });
    vault.failNext('importCertificate', { status: 400, code: 'BadParameter', message: 'no', skip: 1 });
    const error = await rejection(t.deploy(renewal));
    expect(error.message).toMatch(/restoring failed too/);
    expect(
      ctx.metricsRecorded.some((m) => m.name === 'deploy_rollback_total' && m.labels?.outcome === 'also_failed'),
    ).toBe(true);
  });

  it('challenge resource verification is on by default: a vault host outside the challenge resource is refused', async () => {
    const t = await target({ challenge_resource_verification: true });
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/challenge does not match vault_url.*challenge_resource_verification/);
    expect(vault.versions(name)).toHaveLength(0);
  });
});

describe('dryRun and testConnection', () => {
  it('dryRun reads only', async () => {
    const t = await target();
    await t.deploy(await request());
    const plan = await t.dryRun(await request());
    expect(plan.steps.join('\n')).toMatch(/import serial \w+ as a new version/);
    expect(vault.versions(name)).toHaveLength(1);
  });

  it('testConnection says the certificate does not exist yet', async () => {
    const result = await (await target()).testConnection();
    expect(result.detail).toContain('does not exist yet');
  });
});
