import { defineTarget } from '@certctl/core';
import { javaKeystoreConfigSchema } from './javakeystore-config.js';
import { createJavaKeystoreTarget } from './javakeystore-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { JavaKeystoreTargetConfig } from './javakeystore-config.js';
export { createJavaKeystoreTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'javakeystore',
  displayName: 'Java keystore (PKCS#12 / JKS)',
  version: VERSION,
  description:
    'Imports the key and chain under an alias into a PKCS#12 or JKS keystore with keytool (password passed in its environment, never its command line), replaces the keystore atomically with a backup, reloads the service, and puts the previous keystore back on any failure',
  configSchema: javaKeystoreConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createJavaKeystoreTarget(config, ctx),
});
