import { defineTarget } from '@certctl/core';
import { nginxConfigSchema } from './nginx-config.js';
import { createNginxTarget } from './nginx-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { NginxTargetConfig } from './nginx-config.js';
export { createNginxTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'nginx',
  displayName: 'NGINX',
  version: VERSION,
  description:
    'Writes the certificate (with its chain) and key files NGINX reads, checks the config with nginx -t, reloads, and puts the previous files back (and reloads again) if any step fails',
  configSchema: nginxConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createNginxTarget(config, ctx),
});
