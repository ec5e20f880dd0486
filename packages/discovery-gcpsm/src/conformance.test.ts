import {
  createSecretStoreCertificates,
  type FakeGcpSecretManager,
  startFakeGcpSecretManager,
  type TempDir,
  testDiscoverySource,
} from '@certctl/connector-testkit';
import manifest from './index.js';
import { seedSecrets, writeServiceAccountKey } from './test-support/gcp-environment.js';

let fake: FakeGcpSecretManager;
let key: { path: string; dir: TempDir };

testDiscoverySource(manifest, {
  timeoutMs: 30_000,
  config: () => ({ project: fake.projectId, credentials: key.path, endpoint: fake.url, name_prefix: 'tls-' }),
  invalidConfigs: [
    { config: { project: 'Not A Project' }, path: 'project', description: 'project that is not a GCP project id' },
    {
      config: { project: 'my-project-1', label_filter: 'Type=Certificate' },
      path: 'label_filter',
      description: 'label filter with upper case',
    },
    {
      config: { project: 'my-project-1', endpoint: 'http://secretmanager.example.com' },
      path: 'endpoint',
      description: 'plain-http endpoint off loopback',
    },
  ],
  expect: {
    minItems: 5,
    locations: () =>
      ['tls-web-pem', 'tls-api-der', 'tls-legacy-p12', 'tls-json-bundle', 'tls-rotated'].map(
        (id) => `gcp-sm://${fake.projectId}/${id}`,
      ),
  },
  hooks: {
    beforeAll: async () => {
      fake = await startFakeGcpSecretManager();
      seedSecrets(fake, await createSecretStoreCertificates());
      key = await writeServiceAccountKey(fake);
    },
    afterAll: async () => {
      await fake?.close();
      await key?.dir.remove();
    },
  },
});
