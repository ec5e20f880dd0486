import { defineTarget } from '@certctl/core';
import { apacheConfigSchema } from './apache-config.js';
import { createApacheTarget } from './apache-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { ApacheTargetConfig } from './apache-config.js';
export { createApacheTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'apache',
  displayName: 'Apache httpd',
  version: VERSION,
  description:
    'Writes the certificate, chain and key files Apache httpd reads, checks the config with apachectl configtest, restarts gracefully, and puts the previous files back (and restarts again) if any step fails',
  configSchema: apacheConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createApacheTarget(config, ctx),
});
