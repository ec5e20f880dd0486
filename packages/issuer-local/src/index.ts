import { defineIssuer } from '@certctl/core';
import { createLocalIssuer } from './local-issuer.js';
import { localConfigSchema, localEnvMapping } from './local-config.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createLocalIssuer };
export type { LocalIssuerConfig } from './local-config.js';
export type { LocalIssuer } from './local-issuer.js';

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'local',
  displayName: 'Local CA',
  version: VERSION,
  description:
    "certctl's built-in certificate authority: a self-signed root created on first use, or a sub-CA under an enterprise root (ADCS), optionally a tree of intermediates, with CRL and OCSP",
  configSchema: localConfigSchema,
  env: localEnvMapping,
  capabilities: {
    revoke: true,
    crl: true,
    ocsp: true,
    caChain: true,
    testConnection: true,
    caHierarchy: true,
  },
  create: (config, ctx) => createLocalIssuer(config, ctx),
});
