import { defineIssuer } from '@certctl/core';
import { digicertConfigSchema, digicertEnvMapping } from './digicert-config.js';
import { createDigicertIssuer } from './digicert-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { DigicertIssuerConfig } from './digicert-config.js';
export type { DigicertIssuer } from './digicert-issuer.js';
export { createDigicertIssuer };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'digicert',
  displayName: 'DigiCert CertCentral',
  version: VERSION,
  description:
    'Orders certificates from DigiCert CertCentral by product, follows orders through validation, revokes, and lists existing orders for import',
  configSchema: digicertConfigSchema,
  env: digicertEnvMapping,
  capabilities: {
    revoke: true,
    asyncOrders: true,
    listExisting: true,
    testConnection: true,
  },
  create: (config, ctx) => createDigicertIssuer(config, ctx, VERSION),
});
