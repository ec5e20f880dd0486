import { defineTarget } from '@certctl/core';
import { azureKvConfigSchema } from './azurekv-config.js';
import { createAzureKvTarget } from './azurekv-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { AzureKvTargetConfig, AzureKvTargetConfigInput } from './azurekv-config.js';
export type { AzureKvTarget } from './azurekv-target.js';
export { createAzureKvTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'azurekv',
  displayName: 'Azure Key Vault',
  version: VERSION,
  description:
    'Imports certificates into Azure Key Vault as new versions of a named certificate (PKCS#12 or PEM), with tags, managed identity or client-secret auth, and the previous version made current again on failure',
  configSchema: azureKvConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createAzureKvTarget(config, ctx),
});
