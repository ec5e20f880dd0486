import { defineIssuer } from '@certctl/core';
import { sectigoConfigSchema, sectigoEnvMapping } from './sectigo-config.js';
import { createSectigoIssuer } from './sectigo-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { SectigoIssuerConfig } from './sectigo-config.js';
export type { SectigoIssuer } from './sectigo-issuer.js';
export { createSectigoIssuer };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'sectigo',
  displayName: 'Sectigo Certificate Manager',
  version: VERSION,
  description:
    'Enrolls certificates with Sectigo Certificate Manager (SCM REST), collects them once validated, revokes, and lists existing certificates for import',
  configSchema: sectigoConfigSchema,
  env: sectigoEnvMapping,
  capabilities: {
    revoke: true,
    asyncOrders: true,
    listExisting: true,
    testConnection: true,
  },
  create: (config, ctx) => createSectigoIssuer(config, ctx, VERSION),
});
