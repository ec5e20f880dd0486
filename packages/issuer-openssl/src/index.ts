import { defineIssuer } from '@certctl/core';
import { opensslConfigSchema, opensslEnvMapping } from './openssl-config.js';
import { createOpensslIssuer } from './openssl-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { OpensslIssuerConfig } from './openssl-config.js';
export type { OpensslIssuer } from './openssl-issuer.js';
export { createOpensslIssuer };

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'openssl',
  displayName: 'OpenSSL / custom CA (scripts)',
  version: VERSION,
  description:
    'Delegates signing, revocation and CRL generation to operator scripts (for example around `openssl ca`), run without a shell under a deadline',
  configSchema: opensslConfigSchema,
  env: opensslEnvMapping,
  capabilities: {
    revoke: true,
    crl: true,
    testConnection: true,
  },
  create: (config, ctx) => createOpensslIssuer(config, ctx),
});
