import { type FakeAcmPca, startFakeAcmPca, testIssuer } from '@certctl/connector-testkit';
import { vi } from 'vitest';
import manifest from './index.js';

let pca: FakeAcmPca | undefined;

testIssuer(manifest, {
  config: () => ({
    region: pca!.region,
    ca_arn: pca!.caArn,
    signing_algorithm: 'SHA256WITHECDSA',
    endpoint_url: pca!.endpoint,
  }),
  invalidConfigs: [
    {
      config: { region: 'us-east-1', ca_arn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
      path: 'ca_arn',
      description: 'an ACM certificate ARN instead of a private CA ARN',
    },
    {
      config: {
        region: 'eu-west-1',
        ca_arn: 'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012',
      },
      path: 'ca_arn',
      description: 'a CA in another region than the configured one',
    },
    {
      config: {
        region: 'us-east-1',
        ca_arn: 'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012',
        signing_algorithm: 'MD5WITHRSA',
      },
      path: 'signing_algorithm',
      description: 'an unsupported signing algorithm',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      pca = await startFakeAcmPca();
      // The SDK's default credential chain reads the environment first, as it would on a server.
      vi.stubEnv('AWS_ACCESS_KEY_ID', pca.credentials.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', pca.credentials.secretAccessKey);
    },
    afterAll: async () => {
      vi.unstubAllEnvs();
      await pca?.close();
    },
  },
});
