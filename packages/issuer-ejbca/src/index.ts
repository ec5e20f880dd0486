import { defineIssuer } from '@certctl/core';
import { ejbcaConfigSchema, ejbcaEnvMapping } from './ejbca-config.js';
import { createEjbcaIssuer } from './ejbca-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { EjbcaIssuerConfig } from './ejbca-config.js';
export type { EjbcaIssuer } from './ejbca-issuer.js';

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'ejbca',
  displayName: 'EJBCA (Keyfactor)',
  version: VERSION,
  description:
    "Enrolls CSRs through EJBCA's REST API (pkcs10enroll) with mTLS or an OAuth2 token, revokes, and lists existing certificates for import",
  configSchema: ejbcaConfigSchema,
  env: ejbcaEnvMapping,
  capabilities: {
    revoke: true,
    caChain: true,
    listExisting: true,
    testConnection: true,
  },
  create: (config, ctx) => createEjbcaIssuer(config, ctx, VERSION),
});
