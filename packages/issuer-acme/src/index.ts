import { defineIssuer } from '@certctl/core';
import { acmeConfigSchema, acmeEnvMapping } from './acme-config.js';
import { createAcmeIssuer } from './acme-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createAcmeIssuer };
export type { AcmeIssuerConfig } from './acme-config.js';
export type { AcmeIssuer, AcmeIssuerOptions } from './acme-issuer.js';

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'acme',
  displayName: 'ACME',
  version: VERSION,
  description:
    "Any RFC 8555 CA (Let's Encrypt, ZeroSSL, Google Trust Services, step-ca): HTTP-01, DNS-01, DNS-PERSIST-01, EAB, ACME profiles, ARI",
  configSchema: acmeConfigSchema,
  env: acmeEnvMapping,
  capabilities: {
    revoke: true,
    asyncOrders: true,
    renewalInfo: true,
    testConnection: true,
  },
  create: (config, ctx) => createAcmeIssuer(config, ctx),
});
