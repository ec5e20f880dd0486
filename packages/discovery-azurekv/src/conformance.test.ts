import {
  createSecretStoreCertificates,
  createTempDir,
  type FakeKeyVault,
  startFakeKeyVault,
  type TempDir,
  testDiscoverySource,
} from '@certctl/connector-testkit';
import manifest from './index.js';
import { fakeVaultConfig, seedVault } from './test-support/fake-vault.js';

let vault: FakeKeyVault;
let dir: TempDir;
let config: Record<string, unknown>;
let versions: Record<string, string>;

testDiscoverySource(manifest, {
  timeoutMs: 30_000,
  config: () => config,
  invalidConfigs: [
    { config: { vault_url: 'http://myvault.vault.azure.net' }, path: 'vault_url', description: 'plain-http vault URL' },
    {
      config: {
        vault_url: 'https://myvault.vault.azure.net',
        tenant_id: 't',
        client_id: '0d1f6a8e-1c4b-4b43-9f1a-3c2e7c5a9b01',
      },
      path: 'client_secret',
      description: 'client_secret mode without a secret',
    },
    {
      config: { vault_url: 'https://myvault.vault.azure.net', credential_mode: 'managed_identity', name_prefix: 'a_b' },
      path: 'name_prefix',
      description: 'prefix with a character Key Vault names cannot hold',
    },
  ],
  expect: {
    minItems: 4,
    locations: () =>
      Object.entries(versions).map(
        ([name, version]) => `azure-kv://${new URL(vault.vaultUrl).host}/${name}/${version}`,
      ),
  },
  hooks: {
    beforeAll: async () => {
      vault = await startFakeKeyVault({ listPageSize: 2 });
      versions = seedVault(vault, await createSecretStoreCertificates());
      dir = await createTempDir('certctl-azurekv-');
      config = await fakeVaultConfig(vault, dir.path);
    },
    afterAll: async () => {
      await vault?.close();
      await dir?.remove();
    },
  },
});
