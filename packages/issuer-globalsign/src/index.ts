import { defineIssuer } from '@certctl/core';
import { globalSignConfigSchema, globalSignEnvMapping } from './globalsign-config.js';
import { createGlobalSignIssuer } from './globalsign-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { GlobalSignIssuerConfig, GlobalSignIssuerConfigInput } from './globalsign-config.js';
export { ATLAS_REGIONS } from './globalsign-config.js';
export type { GlobalSignIssuer } from './globalsign-issuer.js';
export { createGlobalSignIssuer, globalSignConfigSchema, globalSignEnvMapping };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'globalsign',
  displayName: 'GlobalSign Atlas HVCA',
  version: VERSION,
  description:
    'Requests certificates from GlobalSign Atlas HVCA with mTLS plus an API key and secret, and follows them until Atlas issues them',
  configSchema: globalSignConfigSchema,
  env: globalSignEnvMapping,
  capabilities: {
    revoke: true,
    asyncOrders: true,
    caChain: true,
    listExisting: true,
    testConnection: true,
  },
  create: (config, ctx) => createGlobalSignIssuer(config, ctx, VERSION),
});
