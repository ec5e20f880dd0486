import { defineTarget } from '@certctl/core';
import { traefikConfigSchema } from './traefik-config.js';
import { createTraefikTarget } from './traefik-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { TraefikTargetConfig } from './traefik-config.js';
export { createTraefikTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'traefik',
  displayName: 'Traefik',
  version: VERSION,
  description:
    "Writes certificate and key files (and optionally a tls.certificates dynamic config) for Traefik's file provider, which reloads them by itself; the previous files come back if a check fails",
  configSchema: traefikConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createTraefikTarget(config, ctx),
});
