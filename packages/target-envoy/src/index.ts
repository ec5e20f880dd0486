import { defineTarget } from '@certctl/core';
import { envoyConfigSchema } from './envoy-config.js';
import { createEnvoyTarget } from './envoy-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { EnvoyTargetConfig } from './envoy-config.js';
export { createEnvoyTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'envoy',
  displayName: 'Envoy',
  version: VERSION,
  description:
    'Writes certificate, chain and key files for Envoy and optionally a file-based SDS Secret naming them; Envoy picks them up by itself, and the previous files come back if a check fails',
  configSchema: envoyConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createEnvoyTarget(config, ctx),
});
