import { defineDiscoverySource } from '@certctl/core';
import { azureKvConfigSchema, azureKvEnvMapping } from './azurekv-config.js';
import { createAzureKvDiscovery } from './azurekv-discovery.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { AzureKvDiscoveryConfig } from './azurekv-config.js';
export type { AzureKvDiscovery } from './azurekv-discovery.js';
export { createAzureKvDiscovery };

export default defineDiscoverySource({
  id: 'azurekv',
  displayName: 'Azure Key Vault',
  version: VERSION,
  specificationVersion: 'v1',
  description:
    'Finds certificates in Azure Key Vault: its certificates (public part only) and certificates stored as secrets (PEM, DER, PKCS#12); never a key',
  configSchema: azureKvConfigSchema,
  env: azureKvEnvMapping,
  capabilities: { testConnection: true },
  create: (config, ctx) => createAzureKvDiscovery(config, ctx),
});
