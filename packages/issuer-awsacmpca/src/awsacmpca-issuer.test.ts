import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createTempDir,
  createTestContext,
  createTestCsr,
  type FakeAcmPca,
  issueRequestFor,
  startFakeAcmPca,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import {
  AuthenticationError,
  type IssuedCertificate,
  parseConfig,
  UnsupportedOperationError,
  VendorApiError,
} from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { awsAcmPcaConfigSchema } from './awsacmpca-config.js';
import { acmPcaSerial, createAwsAcmPcaIssuer, validityFor } from './awsacmpca-issuer.js';

const run = promisify(execFile);
let pca: FakeAcmPca;
let ctx: TestContext;
let dir: TempDir;

beforeAll(async () => {
  pca = await startFakeAcmPca({ region: 'eu-central-1' });
  vi.stubEnv('AWS_ACCESS_KEY_ID', pca.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', pca.credentials.secretAccessKey);
  ctx = await createTestContext();
  dir = await createTempDir('issuer-awsacmpca-');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await ctx?.cleanup();
  await pca?.close();
  await dir?.remove();
});

const issuerWith = (overrides: Record<string, unknown> = {}) =>
  createAwsAcmPcaIssuer(
    parseConfig(awsAcmPcaConfigSchema, {
      region: pca.region,
      ca_arn: pca.caArn,
      signing_algorithm: 'SHA256WITHECDSA',
      endpoint_url: pca.endpoint,
      ...overrides,
    }),
    ctx,
    'test',
  );

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

describe('issuer-awsacmpca against the fake ACM PCA endpoint', () => {
  it('signs every call with SigV4 for <region>/acm-pca, issues with a capped validity and the template, polls past RequestInProgressException, and openssl verifies the result', async () => {
    pca.pendingPolls = 2;
    pca.calls.length = 0;
    const csr = await createTestCsr({
      commonName: 'pca.example.test',
      sans: { dns: ['pca.example.test', 'api.example.test'] },
    });
    const issued = (await issuerWith({
      template_arn: 'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1',
    }).issue(issueRequestFor(csr, { maxTtlSeconds: 7 * 86_400 }))) as IssuedCertificate;
    pca.pendingPolls = 1;
    expect(issued.status).toBe('issued');
    expect(pca.calls).toEqual([
      'ACMPrivateCA.IssueCertificate',
      'ACMPrivateCA.GetCertificate',
      'ACMPrivateCA.GetCertificate',
      'ACMPrivateCA.GetCertificate',
    ]);
    for (const request of pca.vendor.requests.slice(-4)) {
      expect(request.headers.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${pca.credentials.accessKeyId}/\\d{8}/eu-central-1/acm-pca/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`,
        ),
      );
      expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    }
    const record = pca.certificates.get(issued.orderId!)!;
    expect(record.templateArn).toBe('arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1');
    expect(record.validity.Type).toBe('ABSOLUTE');
    expect(issued.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000 + 120_000);
    await writeFile(join(dir.path, 'leaf.pem'), issued.certificatePem);
    await writeFile(join(dir.path, 'ca.pem'), pca.ca.certificatePem);
    const { stdout } = await run('openssl', ['verify', '-CAfile', 'ca.pem', 'leaf.pem'], { cwd: dir.path });
    expect(stdout).toContain('leaf.pem: OK');
    expect(issued.chainPem.map((p) => p.trim())).toEqual([pca.ca.certificatePem.trim()]);
  });

  it('takes the template from the request profile, and refuses a profile that is not a template ARN before calling AWS', async () => {
    const issued = (await issuerWith().issue(
      issueRequestFor(await createTestCsr(), {
        profile: 'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1',
      }),
    )) as IssuedCertificate;
    expect(pca.certificates.get(issued.orderId!)!.templateArn).toBe(
      'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1',
    );
    const before = pca.calls.length;
    const error = await failure(issuerWith().issue(issueRequestFor(await createTestCsr(), { profile: 'web-servers' })));
    expect(error.message).toContain('is not a certificate template ARN');
    expect(pca.calls.length).toBe(before);
  });

  it('asks for the configured days when the profile allows more', () => {
    expect(validityFor(90, 365 * 86_400, new Date())).toEqual({ Type: 'DAYS', Value: 90 });
    expect(validityFor(90, undefined, new Date())).toEqual({ Type: 'DAYS', Value: 90 });
    expect(validityFor(90, 3600, new Date(1_000_000_000_000))).toEqual({ Type: 'ABSOLUTE', Value: 1_000_003_600 });
  });

  it('names the IAM action that is missing when AWS answers AccessDeniedException', async () => {
    pca.deny('IssueCertificate');
    try {
      const error = await failure(issuerWith().issue(issueRequestFor(await createTestCsr())));
      expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
      expect(error.message).toContain('allow "acm-pca:IssueCertificate" on');
      expect(error.message).toContain(pca.caArn);
    } finally {
      pca.allow('IssueCertificate');
    }
    pca.deny('GetCertificateAuthorityCertificate');
    try {
      const error = await failure(issuerWith().caChain());
      expect(error.message).toContain('"acm-pca:GetCertificateAuthorityCertificate"');
    } finally {
      pca.allow('GetCertificateAuthorityCertificate');
    }
  });

  it('refuses a wrong secret key at the signature check, as an AuthenticationError without the key', async () => {
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wrong-secret-key-0123456789');
    try {
      const error = await failure(issuerWith().testConnection());
      expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
      expect(error.message).toContain('InvalidSignatureException');
      expect(error.message).not.toContain('wrong-secret-key');
    } finally {
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', pca.credentials.secretAccessKey);
    }
  });

  it('reports an access key AWS does not know as an AuthenticationError', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAUNKNOWN000000000');
    try {
      const error = await failure(issuerWith().caChain());
      expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
      expect(error.message).toContain('UnrecognizedClientException');
    } finally {
      vi.stubEnv('AWS_ACCESS_KEY_ID', pca.credentials.accessKeyId);
    }
  });

  it('explains ResourceNotFoundException as a CA ARN that does not exist in the region', async () => {
    const otherCa = pca.caArn.replace(/[0-9a-f]{12}$/, '000000000000');
    const error = await failure(issuerWith({ ca_arn: otherCa }).caChain());
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(false);
    expect(error.message).toContain('check that ca_arn names an existing CA');
  });

  it('rides out one ThrottlingException (the SDK retries) and reports persistent throttling as retryable', async () => {
    pca.throttleNext(1);
    expect((await issuerWith().caChain()).length).toBe(1);
    pca.throttleNext(3);
    const error = await failure(issuerWith().caChain());
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(429);
    expect((error as VendorApiError).retryable).toBe(true);
    pca.faults.clear();
  });

  it('hands back a pending order when issuance outlasts poll_max_wait_seconds, and getOrder collects it', async () => {
    pca.pendingPolls = 1000;
    const issuer = issuerWith({ poll_max_wait_seconds: 3 });
    const pending = await issuer.issue(issueRequestFor(await createTestCsr()));
    pca.pendingPolls = 1;
    expect(pending.status).toBe('pending');
    const record = pca.certificates.get(pending.orderId!)!;
    record.pendingPolls = 1;
    expect((await issuer.getOrder(pending.orderId!)).status).toBe('pending');
    const done = await issuer.getOrder(pending.orderId!);
    expect(done.status).toBe('issued');
    expect((done as IssuedCertificate).serial).toBe(record.serial);
    expect((await issuer.getOrder(`${pca.caArn}/certificate/${'0'.repeat(32)}`)).status).toBe('failed');
  });

  it('revokes by colon-separated serial with the AWS reason name, and a second revoke is accepted', async () => {
    const issuer = issuerWith();
    const issued = (await issuer.issue(issueRequestFor(await createTestCsr()))) as IssuedCertificate;
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const record = pca.certificates.get(issued.orderId!)!;
    expect(record.revoked).toBe('KEY_COMPROMISE');
    const sent = JSON.parse(pca.vendor.requests.at(-1)!.body) as { CertificateSerial: string };
    expect(sent.CertificateSerial).toBe(acmPcaSerial(issued.serial));
    expect(sent.CertificateSerial).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const hold = await failure(issuer.revoke({ serial: issued.serial, reason: 'certificateHold' }));
    expect(UnsupportedOperationError.isInstance(hold)).toBe(true);
  });
});
