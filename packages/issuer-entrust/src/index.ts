import { defineIssuer } from '@certctl/core';
import { entrustConfigSchema, entrustEnvMapping } from './entrust-config.js';
import { createEntrustIssuer } from './entrust-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { EntrustIssuerConfig, EntrustIssuerConfigInput } from './entrust-config.js';
export type { EntrustIssuer } from './entrust-issuer.js';
export type { EntrustOrder, EntrustOrderState } from './entrust-order.js';
export type { EntrustAccount } from './enterprise-api.js';
export { createEntrustIssuer, entrustConfigSchema, entrustEnvMapping };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'entrust',
  displayName: 'Entrust',
  version: VERSION,
  description:
    'Orders certificates from Entrust through the CA Gateway (mTLS) or the Certificate Services enterprise API; orders an administrator must approve stay pending until approved',
  configSchema: entrustConfigSchema,
  env: entrustEnvMapping,
  capabilities: {
    revoke: true,
    asyncOrders: true,
    listExisting: true,
    testConnection: true,
  },
  create: (config, ctx) => createEntrustIssuer(config, ctx, VERSION),
});
