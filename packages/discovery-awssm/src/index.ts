import { defineDiscoverySource } from '@certctl/core';
import { awsSmConfigSchema, awsSmEnvMapping } from './awssm-config.js';
import { createAwsSmDiscovery } from './awssm-discovery.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { AwsSmDiscoveryConfig } from './awssm-config.js';
export type { AwsSmDiscovery } from './awssm-discovery.js';
export { createAwsSmDiscovery };

export default defineDiscoverySource({
  id: 'awssm',
  displayName: 'AWS Secrets Manager',
  version: VERSION,
  specificationVersion: 'v1',
  description:
    'Finds certificates (PEM, DER, PKCS#12) stored as AWS Secrets Manager secrets, by name prefix and tag; reports certificate metadata only, never a key',
  configSchema: awsSmConfigSchema,
  env: awsSmEnvMapping,
  capabilities: { testConnection: true },
  create: (config, ctx) => createAwsSmDiscovery(config, ctx),
});
