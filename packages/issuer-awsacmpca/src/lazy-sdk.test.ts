import { createTestContext, type FakeAcmPca, startFakeAcmPca } from '@certctl/connector-testkit';
import { parseConfig } from '@certctl/core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

let pca: FakeAcmPca;
let sdkLoaded = false;

beforeAll(async () => {
  pca = await startFakeAcmPca();
  vi.stubEnv('AWS_ACCESS_KEY_ID', pca.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', pca.credentials.secretAccessKey);
  vi.doMock('@aws-sdk/client-acm-pca', async (importOriginal) => {
    sdkLoaded = true;
    return importOriginal();
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await pca?.close();
});

it('loads the AWS SDK only when the issuer first calls AWS, not when the package or an instance loads', async () => {
  const { default: manifest } = await import('./index.js');
  const ctx = await createTestContext();
  const config = parseConfig(manifest.configSchema, {
    region: pca.region,
    ca_arn: pca.caArn,
    signing_algorithm: 'SHA256WITHECDSA',
    endpoint_url: pca.endpoint,
  });
  const issuer = await manifest.create(config, ctx);
  expect(sdkLoaded).toBe(false);
  expect(await issuer.caChain!()).toHaveLength(1);
  expect(sdkLoaded).toBe(true);
  await ctx.cleanup();
});
