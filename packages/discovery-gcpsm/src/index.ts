import { defineDiscoverySource } from '@certctl/core';
import { gcpSmConfigSchema, gcpSmEnvMapping } from './gcpsm-config.js';
import { createGcpSmDiscovery } from './gcpsm-discovery.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { GcpSmDiscoveryConfig } from './gcpsm-config.js';
export type { GcpSmDiscovery } from './gcpsm-discovery.js';
export { createGcpSmDiscovery };

export default defineDiscoverySource({
  id: 'gcpsm',
  displayName: 'Google Cloud Secret Manager',
  version: VERSION,
  specificationVersion: 'v1',
  description:
    'Finds certificates (PEM, DER, PKCS#12) stored in Google Cloud Secret Manager, by label and id prefix; reports certificate metadata only, never a key',
  configSchema: gcpSmConfigSchema,
  env: gcpSmEnvMapping,
  capabilities: { testConnection: true },
  create: (config, ctx) => createGcpSmDiscovery(config, ctx),
});
