import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir, testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type FakeVault, startFakeVault } from './test-support/fake-vault.js';

let vault: FakeVault | undefined;
let dir: TempDir | undefined;
let caPath = '';

testIssuer(manifest, {
  config: () => ({ addr: vault!.url, token: 'hvs.conformance-token', role: 'servers', ca_cert_path: caPath }),
  invalidConfigs: [
    { config: { addr: 'ftp://vault', token: 't', role: 'r' }, path: 'addr', description: 'a non-HTTP address' },
    {
      config: { addr: 'https://vault', token: 't', role: 'r', ttl: 'forever' },
      path: 'ttl',
      description: 'a TTL that is not a duration',
    },
    {
      config: { addr: 'https://vault', token: 't', role: '../sys' },
      path: 'role',
      description: 'a role that walks out of the mount',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      vault = await startFakeVault();
      vault.addToken('hvs.conformance-token', { ttlSeconds: 3600 });
      dir = await createTempDir('issuer-vault-');
      caPath = join(dir.path, 'vault-ca.pem');
      await writeFile(caPath, vault.tlsCaPem);
    },
    afterAll: async () => {
      await vault?.close();
      await dir?.remove();
    },
  },
});
