import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthenticationError, type DiscoveredCertificate, VendorApiError } from '@certctl/core';
import {
  createSecretStoreCertificates,
  createTestContext,
  type FakeGcpSecretManager,
  type SecretStoreCertificates,
  startFakeGcpSecretManager,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GcpSmDiscoveryConfigInput, gcpSmConfigSchema } from './gcpsm-config.js';
import { createGcpSmDiscovery } from './gcpsm-discovery.js';
import { seedSecrets, writeServiceAccountKey } from './test-support/gcp-environment.js';

let fake: FakeGcpSecretManager;
let certs: SecretStoreCertificates;
let key: { path: string; dir: TempDir };
let ctx: TestContext;

beforeAll(async () => {
  certs = await createSecretStoreCertificates();
});
beforeEach(async () => {
  fake = await startFakeGcpSecretManager({ projectId: 'shop-prod-42' });
  seedSecrets(fake, certs);
  key = await writeServiceAccountKey(fake);
  ctx = await createTestContext();
});
afterEach(async () => {
  await fake.close();
  await key.dir.remove();
  await ctx.cleanup();
});

function discovery(overrides: Partial<GcpSmDiscoveryConfigInput> = {}) {
  const config = gcpSmConfigSchema.parse({
    project: fake.projectId,
    credentials: key.path,
    endpoint: fake.url,
    name_prefix: 'tls-',
    ...overrides,
  });
  return createGcpSmDiscovery(config, ctx);
}

async function scanAll(overrides: Partial<GcpSmDiscoveryConfigInput> = {}): Promise<DiscoveredCertificate[]> {
  const source = discovery(overrides);
  const items: DiscoveredCertificate[] = [];
  try {
    for await (const item of source.scan(new AbortController().signal)) items.push(item);
  } finally {
    await source.stop();
  }
  return items;
}

const scanError = (overrides: Partial<GcpSmDiscoveryConfigInput> = {}) =>
  scanAll(overrides).then(
    () => {
      throw new Error('the scan succeeded');
    },
    (error: unknown) => error as Error,
  );

describe('GCP Secret Manager discovery', () => {
  it('reports the certificates of labelled secrets (PEM, DER, JSON, PKCS#12, latest version), with openssl fingerprints', async () => {
    const items = await scanAll();
    const at = (id: string) => `gcp-sm://shop-prod-42/${id}`;
    expect(
      items.map((i) => [i.location, i.metadata.format, i.metadata.common_name, i.metadata.version]).sort(),
    ).toEqual(
      [
        [at('tls-api-der'), 'der', 'other.secret-store.test', '1'],
        [at('tls-json-bundle'), 'pem', 'other.secret-store.test', '1'],
        [at('tls-legacy-p12'), 'pkcs12', 'app.secret-store.test', '1'],
        [at('tls-legacy-p12'), 'pkcs12', 'certctl secret-store test CA', '1'],
        [at('tls-rotated'), 'pem', 'other.secret-store.test', '2'],
        [at('tls-web-pem'), 'pem', 'app.secret-store.test', '1'],
        [at('tls-web-pem'), 'pem', 'certctl secret-store test CA', '1'],
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
    // The locked PKCS#12 and the disabled latest version are warnings, not items and not errors.
    expect(ctx.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'PKCS#12 content needs a password: set pkcs12_password' }),
    );
    expect(ctx.logs.some((l) => l.level === 'warn' && /tls-disabled.*FAILED_PRECONDITION/.test(l.message ?? ''))).toBe(
      true,
    );
    const keyBody = certs.leafKeyPem.split('\n')[1]!;
    expect(JSON.stringify(items)).not.toMatch(/PRIVATE KEY/);
    expect(JSON.stringify(ctx.logs)).not.toContain(keyBody);
    expect(JSON.stringify(ctx.logs)).not.toContain(fake.serviceAccount.private_key_id);
  });

  it('the certificates the fake serves verify against the test CA with openssl', async () => {
    const item = (await scanAll()).find((i) => i.location.endsWith('/tls-api-der'))!;
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(item.certificate as Uint8Array).toString('base64')}\n-----END CERTIFICATE-----\n`;
    await expect(certs.opensslVerify(pem)).resolves.toMatch(/OK/);
  });

  it('sends the label and name filter, pages through nextPageToken and reads only the latest version', async () => {
    await scanAll();
    const lists = fake.requests.filter((r) => r.path === '/v1/projects/shop-prod-42/secrets');
    expect(lists.length).toBeGreaterThan(2);
    const query = new URLSearchParams(lists[0]!.query);
    expect(query.get('filter')).toBe('labels.type=certificate AND name:tls-');
    expect(new URLSearchParams(lists[1]!.query).get('pageToken')).toEqual(expect.any(String));
    const reads = fake.requests.filter((r) => r.path.includes('/versions/')).map((r) => r.path);
    expect(reads.every((p) => p.endsWith('/versions/latest:access'))).toBe(true);
    // legacy-tls-web contains "tls-" but does not start with it; tls-old carries another label value.
    expect(reads.some((p) => /legacy-tls-web|tls-old|tls-unlabelled/.test(p))).toBe(false);
    expect(fake.requests[0]!.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('opens a PKCS#12 with pkcs12_password; an empty label_filter reads unlabelled secrets too', async () => {
    const items = await scanAll({ pkcs12_password: certs.pkcs12Password, label_filter: '' });
    const locations = new Set(items.map((i) => i.location.split('/').at(-1)));
    expect(locations).toEqual(
      new Set([
        'tls-api-der',
        'tls-json-bundle',
        'tls-legacy-p12',
        'tls-locked-p12',
        'tls-rotated',
        'tls-web-pem',
        'tls-unlabelled',
        'tls-old',
      ]),
    );
  });

  it('a key the fake does not know is an AuthenticationError about the credentials', async () => {
    const other = await startFakeGcpSecretManager({ projectId: 'shop-prod-42' });
    await writeFile(join(key.dir.path, 'stranger.json'), JSON.stringify(other.serviceAccount));
    await other.close();
    const error = await scanError({ credentials: join(key.dir.path, 'stranger.json') });
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/UNAUTHENTICATED.*service account key/);
  });

  it('a denied list names secretmanager.secrets.list; a denied secret is skipped; all denied is an error', async () => {
    fake.deny('secretmanager.secrets.list');
    const listError = await scanError();
    expect(AuthenticationError.isInstance(listError)).toBe(true);
    expect(listError.message).toContain('grant secretmanager.secrets.list');
    fake.allow('secretmanager.secrets.list');

    fake.deny('secretmanager.versions.access', 'tls-web-pem');
    const items = await scanAll();
    expect(items.some((i) => i.location.endsWith('/tls-web-pem'))).toBe(false);
    expect(items.some((i) => i.location.endsWith('/tls-api-der'))).toBe(true);
    expect(ctx.metricsRecorded).toContainEqual(
      expect.objectContaining({
        name: 'discovery_secret_read_failures_total',
        labels: { connector: 'discovery-gcpsm', code: '7' },
      }),
    );

    fake.deny('secretmanager.versions.access');
    const readError = await scanError();
    expect(AuthenticationError.isInstance(readError)).toBe(true);
    expect(readError.message).toContain('secretmanager.versions.access');
  });

  it('an exhausted quota on listing is a retryable VendorApiError; a secret deleted mid-scan is skipped', async () => {
    fake.failNext('listSecrets', { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' });
    const error = await scanError();
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(true);
    expect(error.message).toContain('RESOURCE_EXHAUSTED');

    fake.failNext('accessSecretVersion', { code: 404, status: 'NOT_FOUND', message: 'Secret [x] not found' });
    const items = await scanAll();
    expect(new Set(items.map((i) => i.location)).size).toBe(4);
  });

  it('a payload whose dataCrc32c does not match is skipped with a warning', async () => {
    fake.secrets().find((s) => s.id === 'tls-api-der')!.versions[0]!.corruptChecksum = true;
    const items = await scanAll();
    expect(items.some((i) => i.location.endsWith('/tls-api-der'))).toBe(false);
    expect(items.some((i) => i.location.endsWith('/tls-web-pem'))).toBe(true);
    expect(ctx.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ secret: 'tls-api-der' }) }),
    );
  });

  it('testConnection lists one secret; an aborted scan makes no call', async () => {
    const source = discovery();
    await expect(source.testConnection()).resolves.toMatchObject({ ok: true });
    expect(new URLSearchParams(fake.requests.at(-1)!.query).get('pageSize')).toBe('1');
    const before = fake.requests.length;
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(source.scan(controller.signal)[Symbol.asyncIterator]().next()).rejects.toThrow('stopped');
    expect(fake.requests.length).toBe(before);
    await source.stop();
  });

  it('the fake answers Google error bodies to a missing token and an unknown method', async () => {
    const noToken = await fetch(`${fake.url}/v1/projects/shop-prod-42/secrets`);
    expect(noToken.status).toBe(401);
    expect((await noToken.json()).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const unknown = await fetch(`${fake.url}/v1/projects/shop-prod-42/locations`);
    expect((await unknown.json()).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
  });
});
