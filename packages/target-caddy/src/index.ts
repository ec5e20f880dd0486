import { defineTarget } from '@certctl/core';
import { caddyConfigSchema } from './caddy-config.js';
import { createCaddyTarget } from './caddy-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { CaddyTargetConfig, CaddyTargetConfigInput } from './caddy-config.js';
export type { CaddyTarget } from './caddy-target.js';
export { createCaddyTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'caddy',
  displayName: 'Caddy',
  version: VERSION,
  description:
    'Deploys certificates to Caddy: through its admin API (load_pem, zero-downtime, Caddy refuses a config it cannot load) or as files in cert_dir with caddy validate and caddy reload, restoring the previous state on any failure',
  configSchema: caddyConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createCaddyTarget(config, ctx),
});
