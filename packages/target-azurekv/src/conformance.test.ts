import {
  createTempDir,
  type FakeKeyVault,
  startFakeKeyVault,
  type TempDir,
  testTarget,
} from '@certctl/connector-testkit';
import manifest from './index.js';
import { fakeVaultConfig } from './test-support/fake-vault-config.js';

let vault: FakeKeyVault;
let dir: TempDir;

testTarget(manifest, {
  timeoutMs: 30_000,
  config: () => fakeVaultConfig(vault, dir.path, { tags: { env: 'conformance' } }),
  invalidConfigs: [
    {
      config: { vault_url: 'http://myvault.vault.azure.net', certificate_name: 'x' },
      path: 'vault_url',
      description: 'plain-http vault',
    },
    {
      config: { vault_url: 'https://v.vault.azure.net', certificate_name: 'a_b' },
      path: 'certificate_name',
      description: 'name with "_"',
    },
    {
      config: {
        vault_url: 'https://v.vault.azure.net',
        certificate_name: 'x',
        credential_mode: 'client_secret',
        client_id: '0d1f6a8e-1c4b-4b43-9f1a-3c2e7c5a9b01',
        client_secret: 's',
      },
      path: 'tenant_id',
      description: 'client_secret mode without tenant',
    },
    {
      config: { vault_url: 'https://v.vault.azure.net', certificate_name: 'x', client_secret: 's' },
      path: 'client_secret',
      description: 'a secret in managed_identity mode',
    },
    {
      config: { vault_url: 'https://v.vault.azure.net', certificate_name: 'x', tags: { 'certctl-managed-by': 'me' } },
      path: 'tags.certctl-managed-by',
      description: 'reserved provenance tag',
    },
  ],
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-azurekv-conformance-');
      vault = await startFakeKeyVault();
    },
    afterAll: async () => {
      await vault?.close();
      await dir?.remove();
    },
    // The read-back after the import is refused: the target must make the previous version current again.
    failNextDeploy: () =>
      vault.failNext('getCertificate', {
        status: 403,
        code: 'Forbidden',
        message: 'injected: read-back refused',
        skip: 1,
      }),
    snapshot: () => {
      const latest = vault.latest('api-example-test');
      return latest && { cer: latest.cer, tags: latest.tags, enabled: latest.enabled };
    },
  },
});
