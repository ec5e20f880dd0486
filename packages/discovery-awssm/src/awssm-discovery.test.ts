import { AuthenticationError, type DiscoveredCertificate, VendorApiError } from '@certctl/core';
import {
  createSecretStoreCertificates,
  createTestContext,
  type FakeSecretsManager,
  type SecretStoreCertificates,
  startFakeSecretsManager,
  type TestContext,
} from '@certctl/connector-testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AwsSmDiscoveryConfigInput, awsSmConfigSchema } from './awssm-config.js';
import { createAwsSmDiscovery } from './awssm-discovery.js';
import { seedSecrets, useFakeAwsCredentials } from './test-support/aws-environment.js';

let fake: FakeSecretsManager;
let certs: SecretStoreCertificates;
let ctx: TestContext;

beforeAll(async () => {
  certs = await createSecretStoreCertificates();
});
beforeEach(async () => {
  fake = await startFakeSecretsManager({ region: 'eu-west-1' });
  seedSecrets(fake, certs);
  useFakeAwsCredentials(fake);
  ctx = await createTestContext();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fake.close();
  await ctx.cleanup();
});
afterAll(() => vi.unstubAllEnvs());

function discovery(overrides: Partial<AwsSmDiscoveryConfigInput> = {}) {
  const config = awsSmConfigSchema.parse({
    region: fake.region,
    endpoint: fake.url,
    name_prefix: 'certs/',
    max_attempts: 2,
    ...overrides,
  });
  return createAwsSmDiscovery(config, ctx);
}

async function scanAll(overrides: Partial<AwsSmDiscoveryConfigInput> = {}): Promise<DiscoveredCertificate[]> {
  const source = discovery(overrides);
  const items: DiscoveredCertificate[] = [];
  try {
    for await (const item of source.scan(new AbortController().signal)) items.push(item);
  } finally {
    await source.stop();
  }
  return items;
}

const scanError = (overrides: Partial<AwsSmDiscoveryConfigInput> = {}) =>
  scanAll(overrides).then(
    () => {
      throw new Error('the scan succeeded');
    },
    (error: unknown) => error as Error,
  );

const summary = (items: DiscoveredCertificate[]) =>
  items.map((i) => [i.location, i.metadata.format, i.metadata.common_name]).sort();

describe('AWS Secrets Manager discovery', () => {
  it('reports the certificates of tagged secrets under the prefix (PEM, DER, JSON, PKCS#12), with openssl fingerprints', async () => {
    const items = await scanAll();
    const at = (name: string) => `aws-sm://eu-west-1/certs/${name}`;
    expect(summary(items)).toEqual(
      [
        [at('api-der'), 'der', 'other.secret-store.test'],
        [at('json-bundle'), 'pem', 'other.secret-store.test'],
        [at('legacy-p12'), 'pkcs12', 'app.secret-store.test'],
        [at('legacy-p12'), 'pkcs12', 'certctl secret-store test CA'],
        [at('web-pem'), 'pem', 'app.secret-store.test'],
        [at('web-pem'), 'pem', 'certctl secret-store test CA'],
      ].sort(),
    );
    const fingerprints = new Map([
      ['app.secret-store.test', await certs.opensslFingerprint(certs.leafPem)],
      ['other.secret-store.test', await certs.opensslFingerprint(certs.otherPem)],
      ['certctl secret-store test CA', await certs.opensslFingerprint(certs.caPem)],
    ]);
    for (const item of items) {
      expect(item.metadata.fingerprint_sha256).toBe(fingerprints.get(item.metadata.common_name!));
      expect(item.metadata.secret_arn).toMatch(/^arn:aws:secretsmanager:eu-west-1:111122223333:secret:certs\//);
      expect(item.certificate).toBeInstanceOf(Uint8Array);
    }
    // The locked PKCS#12 is named in a warning, not reported and not an error.
    expect(ctx.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'PKCS#12 content needs a password: set pkcs12_password' }),
    );
    // Nothing of a key in the items or the logs.
    const keyBody = certs.leafKeyPem.split('\n')[1]!;
    expect(JSON.stringify(items)).not.toMatch(/PRIVATE KEY/);
    expect(JSON.stringify(ctx.logs)).not.toContain(keyBody);
  });

  it('the certificates the fake serves verify against the test CA with openssl', async () => {
    const leaf = (await scanAll()).find((i) => i.location.endsWith('/certs/api-der'))!;
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(leaf.certificate as Uint8Array).toString('base64')}\n-----END CERTIFICATE-----\n`;
    await expect(certs.opensslVerify(pem)).resolves.toMatch(/OK/);
  });

  it('opens a PKCS#12 with pkcs12_password', async () => {
    const items = await scanAll({ pkcs12_password: certs.pkcs12Password });
    expect(items.filter((i) => i.location.endsWith('/certs/locked-p12')).map((i) => i.metadata.common_name)).toEqual([
      'app.secret-store.test',
      'certctl secret-store test CA',
    ]);
    expect(JSON.stringify(ctx.logs)).not.toContain(certs.pkcs12Password);
  });

  it('lists with name and tag filters, follows NextToken, and keeps only the exact tag pair', async () => {
    const items = await scanAll();
    expect(items.some((i) => /wrong-tag|untagged|other\/web/.test(i.location))).toBe(false);
    const lists = fake.requests.filter((r) => r.headers['x-amz-target'] === 'secretsmanager.ListSecrets');
    expect(lists.length).toBeGreaterThan(1);
    expect(JSON.parse(lists[0]!.body)).toEqual({
      Filters: [
        { Key: 'name', Values: ['certs/'] },
        { Key: 'tag-key', Values: ['type'] },
        { Key: 'tag-value', Values: ['certificate'] },
      ],
      MaxResults: 100,
    });
    expect(JSON.parse(lists[1]!.body).NextToken).toEqual(expect.any(String));
    // The prefix filter of the tag value lets certificate-old through; the connector drops it without reading it.
    const reads = fake.requests
      .filter((r) => r.headers['x-amz-target'] === 'secretsmanager.GetSecretValue')
      .map((r) => JSON.parse(r.body).SecretId as string);
    expect(reads.some((id) => id.includes('wrong-tag'))).toBe(false);
    expect(reads).toHaveLength(6);
  });

  it('an empty tag_filter and no prefix scan every secret', async () => {
    const items = await scanAll({ tag_filter: '', name_prefix: '' });
    expect(new Set(items.map((i) => i.location))).toEqual(
      new Set(
        ['api-der', 'json-bundle', 'legacy-p12', 'web-pem', 'untagged', 'wrong-tag']
          .map((n) => `aws-sm://eu-west-1/certs/${n}`)
          .concat('aws-sm://eu-west-1/other/web'),
      ),
    );
  });

  it('credentials the fake does not know are an AuthenticationError about the credential chain', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAWRONGWRONGWRONG0');
    const error = await scanError();
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/UnrecognizedClientException.*default credential chain/);
  });

  it('a known key id signed with the wrong secret key fails the recomputed signature', async () => {
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'd3JvbmcgYnV0IHdlbGwtZm9ybWVkIHNlY3JldCBrZXkK');
    const error = await scanError();
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toContain('InvalidSignatureException');
  });

  it('a denied ListSecrets names the permission to grant', async () => {
    fake.deny('ListSecrets');
    const error = await scanError();
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toContain('grant secretsmanager:ListSecrets on *');
  });

  it('a secret the role may not read is skipped and counted; the others are still reported', async () => {
    fake.deny('GetSecretValue', 'certs/web-pem');
    const items = await scanAll();
    expect(items.some((i) => i.location.endsWith('/certs/web-pem'))).toBe(false);
    expect(items.some((i) => i.location.endsWith('/certs/api-der'))).toBe(true);
    expect(ctx.metricsRecorded).toContainEqual(
      expect.objectContaining({
        name: 'discovery_secret_read_failures_total',
        labels: { connector: 'discovery-awssm', code: 'AccessDeniedException' },
      }),
    );
  });

  it('no readable secret at all is an AuthenticationError naming GetSecretValue and kms:Decrypt', async () => {
    fake.deny('GetSecretValue');
    const error = await scanError();
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/secretsmanager:GetSecretValue.*kms:Decrypt/);
  });

  it('a secret deleted between listing and reading is skipped', async () => {
    fake.failNext('GetSecretValue', {
      type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    const items = await scanAll();
    expect(new Set(items.map((i) => i.location)).size).toBe(3);
  });

  it('ThrottlingException is retried by the SDK; past max_attempts it is a retryable VendorApiError', async () => {
    fake.failNext('ListSecrets', { type: 'ThrottlingException', message: 'Rate exceeded' });
    expect((await scanAll()).length).toBeGreaterThan(0);

    fake.failNext('ListSecrets', { type: 'ThrottlingException', message: 'Rate exceeded' });
    fake.failNext('ListSecrets', { type: 'ThrottlingException', message: 'Rate exceeded' });
    const error = await scanError();
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(true);
    expect(error.message).toMatch(/throttled.*after 2 attempt/);
  });

  it('testConnection lists one secret; an aborted scan stops before any call', async () => {
    const source = discovery();
    await expect(source.testConnection()).resolves.toMatchObject({ ok: true });
    expect(JSON.parse(fake.requests.at(-1)!.body)).toMatchObject({ MaxResults: 1 });
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    const before = fake.requests.length;
    await expect(source.scan(controller.signal)[Symbol.asyncIterator]().next()).rejects.toThrow('stopped');
    expect(fake.requests.length).toBe(before);
    await source.stop();
  });

  it('the fake refuses an unsigned request, an unknown operation and a bad page token as AWS does', async () => {
    const post = (headers: Record<string, string>, body = '{}') =>
      fetch(fake.url, { method: 'POST', headers, body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    expect(await post({ 'x-amz-target': 'secretsmanager.ListSecrets' })).toEqual({
      status: 400,
      body: { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
    });
    const bad = await post({ authorization: 'AWS4-HMAC-SHA256 Credential=x', 'x-amz-target': 'x' });
    expect(bad.body.__type).toBe('IncompleteSignatureException');
    const source = discovery();
    await source.testConnection();
    await source.stop();
    const signed = fake.requests.at(-1)!.headers;
    expect(signed.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${fake.accessKeyId}/\\d{8}/eu-west-1/secretsmanager/aws4_request`),
    );
    expect(signed['content-type']).toBe('application/x-amz-json-1.1');
  });
});
