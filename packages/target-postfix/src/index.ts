import { defineTarget } from '@certctl/core';
import { postfixConfigSchema } from './postfix-config.js';
import { createPostfixTarget } from './postfix-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { PostfixTargetConfig, PostfixTargetConfigInput } from './postfix-config.js';
export type { PostfixTarget } from './postfix-target.js';
export { createPostfixTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'postfix',
  displayName: 'Postfix / Dovecot',
  version: VERSION,
  description:
    'Writes the certificate, chain and key for Postfix (SMTP) or Dovecot (IMAP/POP3), validates the configuration, reloads the daemon, and restores the previous files on any failure',
  configSchema: postfixConfigSchema,
  capabilities: { dryRun: true, validate: true, testConnection: true },
  create: (config, ctx) => createPostfixTarget(config, ctx),
});
