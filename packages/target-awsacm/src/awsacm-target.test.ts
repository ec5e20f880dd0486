import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestContext,
  createTestDeployRequest,
  type FakeAcm,
  startFakeAcm,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConnectorError, type DeployRequest, parseConfig, VendorApiError } from '@certctl/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsAcmConfigSchema } from './awsacm-config.js';
import { type AwsAcmTarget, createAwsAcmTarget } from './awsacm-target.js';
import { useFakeAcmCredentials } from './test-support/aws-environment.js';

let acm: FakeAcm;
let ctx: TestContext;
const targets: AwsAcmTarget[] = [];

beforeAll(async () => {
  acm = await startFakeAcm();
});
afterAll(() => acm.close());
beforeEach(async () => {
  useFakeAcmCredentials(acm);
  ctx = await createTestContext();
});
afterEach(async () => {
  for (const t of targets.splice(0)) await t.stop();
  await ctx.cleanup();
});

function target(extra: Record<string, unknown> = {}): AwsAcmTarget {
  const config = parseConfig(awsAcmConfigSchema, { region: acm.region, endpoint: acm.url, ...extra }, 'target-awsacm');
  const t = createAwsAcmTarget(config, ctx);
  targets.push(t);
  return t;
}

let certificateCount = 0;
const request = (certificateId = `mc-${++certificateCount}`): Promise<DeployRequest> =>
  createTestDeployRequest({
    commonName: `api-${certificateCount}.example.test`,
    metadata: { certificate_id: certificateId, job_id: 'job-1', target_id: 'tgt-1' },
  });

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConnectorError.isInstance(error), `expected a typed error, got ${String(error)}`).toBe(true);
  return error as ConnectorError;
}

const sameSerial = (acmSerial: string, serial: string) =>
  acmSerial.replace(/:/g, '').replace(/^0+/, '') === serial.replace(/^0+/, '');

describe('first deploy and renewal', () => {
  it('imports a new certificate with the provenance tags and reports its ARN', async () => {
    const first = await request('mc-api-prod');
    const result = await target({ tags: { env: 'production' } }).deploy(first);
    const arn = result.metadata?.certificate_arn;
    expect(arn).toMatch(/^arn:aws:acm:us-east-1:111122223333:certificate\//);
    const stored = acm.get(arn!)!;
    expect(sameSerial(stored.serial, first.serial)).toBe(true);
    expect(Object.fromEntries(stored.tags)).toEqual({
      env: 'production',
      'certctl-managed-by': 'certctl',
      'certctl-certificate-id': 'mc-api-prod',
    });
    expect(stored.chainPem).toContain('BEGIN CERTIFICATE');
  });

  it('re-imports a renewal into the same ARN without tags in the call, then applies the tags again', async () => {
    const t = target();
    const first = await request();
    const arn = (await t.deploy(first)).metadata!.certificate_arn!;
    const mark = acm.requests.length;
    const renewal = await request(first.metadata.certificate_id);
    const result = await t.deploy(renewal);
    expect(result).toMatchObject({ changed: true, metadata: { certificate_arn: arn } });
    expect(acm.get(arn)!.imports).toBe(2);
    expect(sameSerial(acm.get(arn)!.serial, renewal.serial)).toBe(true);
    const after = acm.requests
      .slice(mark)
      .map((r) => ({ target: r.headers['x-amz-target'], body: JSON.parse(r.body) }));
    const importCall = after.find((r) => r.target === 'CertificateManager.ImportCertificate')!;
    expect(importCall.body.CertificateArn).toBe(arn);
    expect(importCall.body.Tags).toBeUndefined();
    const order = after.map((r) => r.target);
    expect(order.indexOf('CertificateManager.AddTagsToCertificate')).toBeGreaterThan(
      order.indexOf('CertificateManager.ImportCertificate'),
    );
    // The snapshot is read before the import.
    expect(order.slice(0, 3)).toEqual([
      'CertificateManager.DescribeCertificate',
      'CertificateManager.GetCertificate',
      'CertificateManager.ListTagsForCertificate',
    ]);
  });

  it('finds the ARN by its provenance tags after an agent restart (ListCertificates asks for EC keys too)', async () => {
    const first = await request();
    const arn = (await target().deploy(first)).metadata!.certificate_arn!;
    const restarted = target();
    const renewal = await request(first.metadata.certificate_id);
    const result = await restarted.deploy(renewal);
    expect(result.metadata?.certificate_arn).toBe(arn);
    expect(acm.get(arn)!.imports).toBe(2);
    const list = acm.requests
      .filter((r) => r.headers['x-amz-target'] === 'CertificateManager.ListCertificates')
      .at(-1)!;
    expect(JSON.parse(list.body).Includes.keyTypes).toContain('EC_prime256v1');
  });

  it('signs every request with SigV4 for acm in the configured region and sends JSON 1.1', async () => {
    await target().deploy(await request());
    const last = acm.requests.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.path).toBe('/');
    expect(last.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(last.headers['x-amz-target']).toMatch(/^CertificateManager\.[A-Za-z]+$/);
    expect(last.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${acm.accessKeyId}/\\d{8}/us-east-1/acm/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`,
      ),
    );
  });

  it('never logs the private key', async () => {
    const req = await request();
    await target().deploy(req);
    const keyBody = req.keyPem.split('\n')[1]!;
    expect(JSON.stringify(ctx.logs)).not.toContain(keyBody);
  });

  it('the imported certificate chains to the test CA (openssl verify)', async () => {
    const req = await request();
    const arn = (await target().deploy(req)).metadata!.certificate_arn!;
    const dir = mkdtempSync(join(tmpdir(), 'certctl-acm-verify-'));
    try {
      writeFileSync(join(dir, 'leaf.pem'), acm.get(arn)!.certificatePem);
      writeFileSync(join(dir, 'chain.pem'), acm.get(arn)!.chainPem!);
      const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'chain.pem'), join(dir, 'leaf.pem')], {
        encoding: 'utf8',
      });
      expect(out).toContain('OK');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('failures: the previous certificate stays or is restored, and the error says what to do', () => {
  async function deployed(extra: Record<string, unknown> = {}) {
    const t = target(extra);
    const first = await request();
    const arn = (await t.deploy(first)).metadata!.certificate_arn!;
    return { t, first, arn, renewal: await request(first.metadata.certificate_id) };
  }
  const holds = (arn: string, req: DeployRequest) => sameSerial(acm.get(arn)!.serial, req.serial);

  it('a re-import refused with ResourceNotFoundException names region and certificate_arn', async () => {
    const pinned = `arn:aws:acm:us-east-1:${acm.accountId}:certificate/0f6d3a3c-3f47-4a57-9a4a-0d6c2b7c1e11`;
    const error = await rejection(target({ certificate_arn: pinned }).deploy(await request()));
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/ResourceNotFoundException.*check region and certificate_arn/);
    expect(acm.certificates().some((c) => c.arn === pinned)).toBe(false);
  });

  it('LimitExceededException on a re-import keeps the previous certificate and asks for a quota increase', async () => {
    const { t, first, arn, renewal } = await deployed();
    acm.setImportQuota(0);
    try {
      const error = await rejection(t.deploy(renewal));
      expect(error.message).toMatch(/quota.*Service Quotas/);
      expect(error.message).toContain('nothing was changed');
      expect(holds(arn, first)).toBe(true);
    } finally {
      acm.setImportQuota(Number.POSITIVE_INFINITY);
    }
  });

  it('InvalidArgsException on a re-import keeps the previous certificate', async () => {
    const { t, first, arn, renewal } = await deployed();
    acm.failNext('ImportCertificate', { type: 'InvalidArgsException', message: 'One or more arguments are invalid.' });
    const error = await rejection(t.deploy(renewal));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/InvalidArgsException: One or more arguments are invalid/);
    expect(holds(arn, first)).toBe(true);
    expect((await t.validateDeployment({ serial: first.serial })).valid).toBe(true);
  });

  it('ThrottlingException is retried by the SDK; past max_attempts it is a retryable error and nothing changed', async () => {
    const { t, first, arn, renewal } = await deployed({ max_attempts: 2 });
    acm.failNext('ImportCertificate', { type: 'ThrottlingException', message: 'Rate exceeded' });
    await t.deploy(renewal);
    expect(holds(arn, renewal)).toBe(true);

    const next = await request(first.metadata.certificate_id);
    acm.failNext('ImportCertificate', { type: 'ThrottlingException', message: 'Rate exceeded' });
    acm.failNext('ImportCertificate', { type: 'ThrottlingException', message: 'Rate exceeded' });
    const error = await rejection(t.deploy(next));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/throttled.*after 2 attempt/);
    expect(holds(arn, renewal)).toBe(true);
  });

  it('tags refused after the re-import: the previous certificate and tags are imported again, AuthenticationError names the permission', async () => {
    const { t, first, arn, renewal } = await deployed({ tags: { team: 'edge' } });
    const tagsBefore = Object.fromEntries(acm.get(arn)!.tags);
    acm.failNext('AddTagsToCertificate', { type: 'AccessDeniedException', message: 'not authorized' });
    const error = await rejection(t.deploy(renewal));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/grant acm:AddTagsToCertificate on arn:aws:acm:us-east-1:111122223333:certificate\//);
    expect(error.message).toContain('was imported again');
    expect(holds(arn, first)).toBe(true);
    expect(Object.fromEntries(acm.get(arn)!.tags)).toEqual(tagsBefore);
    expect(acm.get(arn)!.imports).toBe(3);
    expect(
      ctx.metricsRecorded.some((m) => m.name === 'deploy_rollback_total' && m.labels?.outcome === 'restored'),
    ).toBe(true);
  });

  it('tagging denied for good: the previous certificate is back, and the message says its tags could not be applied', async () => {
    const { t, first, arn, renewal } = await deployed();
    acm.deny('AddTagsToCertificate');
    try {
      const error = await rejection(t.deploy(renewal));
      expect(error.message).toMatch(
        /was imported again, but its tags could not be applied: .*grant acm:AddTagsToCertificate/,
      );
      expect(holds(arn, first)).toBe(true);
    } finally {
      acm.allow('AddTagsToCertificate');
    }
  });

  it('TooManyTagsException after the re-import restores the previous certificate', async () => {
    const { t, first, arn, renewal } = await deployed();
    acm.failNext('AddTagsToCertificate', { type: 'TooManyTagsException', message: 'too many tags' });
    const error = await rejection(t.deploy(renewal));
    expect(error.message).toMatch(/ACM refused the tags.*was imported again/);
    expect(holds(arn, first)).toBe(true);
  });

  it('an answer lost after ACM imported is detected and the previous certificate is imported again', async () => {
    const { t, first, arn, renewal } = await deployed({ max_attempts: 1 });
    // A 500 after the fake stored the bytes: what a dropped answer after a committed import looks like.
    acm.failNext('ImportCertificate', { type: 'InternalFailure', status: 500, message: 'injected', applied: true });
    const error = await rejection(t.deploy(renewal));
    expect(error.message).toContain('was imported again');
    expect(holds(arn, first)).toBe(true);
  });

  it('a restore that needs a key this process never held says so instead of claiming success', async () => {
    const { first, arn } = await deployed();
    const restarted = target();
    acm.failNext('AddTagsToCertificate', { type: 'AccessDeniedException', message: 'not authorized' });
    const error = await rejection(restarted.deploy(await request(first.metadata.certificate_id)));
    expect(error.message).toMatch(/could not be restored: its private key was imported by another process/);
    expect(acm.get(arn)!.imports).toBe(2);
  });

  it('ImportCertificate denied on a first import: AuthenticationError naming acm:ImportCertificate, nothing created', async () => {
    const before = acm.certificates().length;
    acm.deny('ImportCertificate');
    try {
      const error = await rejection(target().deploy(await request()));
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(/grant acm:ImportCertificate on arn:aws:acm:us-east-1:<account>:certificate\/\*/);
      expect(acm.certificates().length).toBe(before);
    } finally {
      acm.allow('ImportCertificate');
    }
  });

  it('a wrong secret key is refused by signature: AuthenticationError about the credential chain, no secret in the message', async () => {
    const t = target();
    const { vi } = await import('vitest');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-the-right-secret-key-0000000000000000');
    const error = await rejection(t.deploy(await request()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/InvalidSignatureException.*default credential chain/);
    expect(error.message).not.toContain('not-the-right-secret-key');
  });

  it('refuses a key that does not match before calling ACM', async () => {
    const a = await request();
    const b = await request();
    const mark = acm.requests.length;
    await rejection(target().deploy({ ...a, keyPem: b.keyPem }));
    expect(acm.requests.length).toBe(mark);
  });
});

describe('validateDeployment, dryRun, testConnection', () => {
  it('validateDeployment compares serial and fingerprint with what ACM holds', async () => {
    const t = target();
    const req = await request();
    await t.deploy(req);
    expect((await t.validateDeployment({ serial: req.serial, fingerprintSha256: req.fingerprintSha256 })).valid).toBe(
      true,
    );
    expect((await t.validateDeployment({ serial: req.serial, fingerprintSha256: 'ab'.repeat(32) })).valid).toBe(false);
  });

  it('dryRun lists the re-import into the known ARN and changes nothing', async () => {
    const t = target();
    const first = await request();
    const arn = (await t.deploy(first)).metadata!.certificate_arn!;
    const mark = acm.operations().length;
    const plan = await t.dryRun(await request(first.metadata.certificate_id));
    expect(plan.steps.join('\n')).toContain(`ImportCertificate serial`);
    expect(plan.steps.join('\n')).toContain(arn);
    expect(acm.operations().slice(mark)).not.toContain('ImportCertificate');
  });

  it('testConnection reports a refused ListCertificates as a missing permission', async () => {
    acm.deny('ListCertificates');
    try {
      const error = await rejection(target().testConnection());
      expect(error.message).toContain('grant acm:ListCertificates');
    } finally {
      acm.allow('ListCertificates');
    }
  });
});
