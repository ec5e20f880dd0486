import { defineIssuer } from '@certctl/core';
import { googleCasConfigSchema, googleCasEnvMapping } from './googlecas-config.js';
import { createGoogleCasIssuer } from './googlecas-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { GoogleCasIssuerConfig } from './googlecas-config.js';
export type { GoogleCasIssuer } from './googlecas-issuer.js';

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'googlecas',
  displayName: 'Google Certificate Authority Service',
  version: VERSION,
  description:
    'Issues from a Google CAS CA pool (CreateCertificate with the CSR), revokes, and returns the CA chain; service account key or ambient credentials',
  configSchema: googleCasConfigSchema,
  env: googleCasEnvMapping,
  capabilities: {
    revoke: true,
    caChain: true,
    testConnection: true,
  },
  create: (config, ctx) => createGoogleCasIssuer(config, ctx, VERSION),
});
