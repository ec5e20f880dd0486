import { defineIssuer } from '@certctl/core';
import { vaultConfigSchema, vaultEnvMapping } from './vault-config.js';
import { createVaultIssuer } from './vault-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { VaultIssuerConfig } from './vault-config.js';
export type { VaultIssuer } from './vault-issuer.js';
export { createVaultIssuer };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'vault',
  displayName: 'HashiCorp Vault PKI',
  version: VERSION,
  description: "Signs CSRs with Vault's PKI secrets engine (/v1/<mount>/sign/<role>) and keeps the Vault token renewed",
  configSchema: vaultConfigSchema,
  env: vaultEnvMapping,
  capabilities: {
    revoke: true,
    caChain: true,
    testConnection: true,
  },
  create: (config, ctx) => createVaultIssuer(config, ctx, VERSION),
});
