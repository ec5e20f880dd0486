import { defineTarget } from '@certctl/core';
import { haproxyConfigSchema } from './haproxy-config.js';
import { createHaproxyTarget } from './haproxy-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { HaproxyTargetConfig } from './haproxy-config.js';
export { createHaproxyTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'haproxy',
  displayName: 'HAProxy',
  version: VERSION,
  description:
    'Writes the combined PEM (certificate, chain, private key) HAProxy loads, optionally checks the config with haproxy -c, reloads, and puts the previous file back (and reloads again) if any step fails',
  configSchema: haproxyConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createHaproxyTarget(config, ctx),
});
