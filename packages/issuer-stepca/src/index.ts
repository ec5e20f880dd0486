import { defineIssuer } from '@certctl/core';
import { stepcaConfigSchema, stepcaEnvMapping } from './stepca-config.js';
import { createStepcaIssuer } from './stepca-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { StepcaIssuerConfig } from './stepca-config.js';
export type { StepcaIssuer } from './stepca-issuer.js';
export { createStepcaIssuer };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'stepca',
  displayName: 'Smallstep step-ca',
  version: VERSION,
  description:
    "Signs CSRs with step-ca's /1.0/sign using one-time tokens from a JWK provisioner, over TLS pinned to the CA's root",
  configSchema: stepcaConfigSchema,
  env: stepcaEnvMapping,
  capabilities: {
    revoke: true,
    testConnection: true,
  },
  create: (config, ctx) => createStepcaIssuer(config, ctx, VERSION),
});
