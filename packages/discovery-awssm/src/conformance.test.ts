import {
  createSecretStoreCertificates,
  type FakeSecretsManager,
  startFakeSecretsManager,
  testDiscoverySource,
} from '@certctl/connector-testkit';
import manifest from './index.js';
import { seedSecrets, useFakeAwsCredentials } from './test-support/aws-environment.js';

let fake: FakeSecretsManager;

testDiscoverySource(manifest, {
  timeoutMs: 30_000,
  config: () => ({ region: fake.region, endpoint: fake.url, name_prefix: 'certs/' }),
  invalidConfigs: [
    { config: { region: 'US East' }, path: 'region', description: 'region that is not an AWS region' },
    { config: { region: 'us-east-1', tag_filter: 'type' }, path: 'tag_filter', description: 'tag filter without =' },
    {
      config: { region: 'us-east-1', endpoint: 'http://secretsmanager.example.com' },
      path: 'endpoint',
      description: 'plain-http endpoint off loopback',
    },
    { config: { region: 'us-east-1', access_key_id: 'AKIA0000' }, path: '', description: 'access keys in config' },
  ],
  expect: {
    minItems: 4,
    locations: () =>
      ['certs/web-pem', 'certs/api-der', 'certs/legacy-p12', 'certs/json-bundle'].map(
        (name) => `aws-sm://${fake.region}/${name}`,
      ),
  },
  hooks: {
    beforeAll: async () => {
      fake = await startFakeSecretsManager();
      seedSecrets(fake, await createSecretStoreCertificates());
      useFakeAwsCredentials(fake);
    },
    afterAll: () => fake?.close(),
  },
});
