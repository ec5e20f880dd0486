/** Test helper: a fake Vault, its TLS CA on disk, and issuer configs pointing at it. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir } from '@certctl/connector-testkit';
import { parseConfig } from '@certctl/core';
import { type VaultIssuerConfig, vaultConfigSchema } from '../vault-config.js';
import { type FakeVault, startFakeVault } from './fake-vault.js';

export interface VaultSetup {
  vault: FakeVault;
  dir: TempDir;
  caPath: string;
  config(overrides?: Record<string, unknown>): VaultIssuerConfig;
  close(): Promise<void>;
}

export async function setUpVault(options: Parameters<typeof startFakeVault>[0] = {}): Promise<VaultSetup> {
  const vault = await startFakeVault(options);
  const dir = await createTempDir('issuer-vault-');
  const caPath = join(dir.path, 'vault-ca.pem');
  await writeFile(caPath, vault.tlsCaPem);
  return {
    vault,
    dir,
    caPath,
    config: (overrides = {}) =>
      parseConfig(vaultConfigSchema, {
        addr: vault.url,
        token: 'hvs.test',
        role: 'servers',
        ca_cert_path: caPath,
        ...overrides,
      }),
    async close() {
      await vault.close();
      await dir.remove();
    },
  };
}
