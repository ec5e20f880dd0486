import { defineTarget } from '@certctl/core';
import { f5ConfigSchema } from './f5-config.js';
import { createF5Target } from './f5-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { F5TargetConfig } from './f5-config.js';
export { createF5Target };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'f5',
  displayName: 'F5 BIG-IP',
  version: VERSION,
  description:
    'Uploads the certificate, key and chain to a BIG-IP over iControl REST and, in one transaction, installs them as crypto objects and points a client-ssl profile at them, so a refused change leaves the old profile serving; token auth, partitions, a pinned management CA',
  configSchema: f5ConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createF5Target(config, ctx, VERSION),
});
