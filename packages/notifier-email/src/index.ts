import { defineNotifier } from '@certctl/core';
import { emailConfigSchema, emailEnvMapping } from './email-config.js';
import { createEmailNotifier } from './email-notifier.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createEmailNotifier };
export type { EmailConfig } from './email-config.js';
export { SmtpTlsError } from './email-error.js';

export default defineNotifier({
  specificationVersion: 'v1',
  id: 'email',
  displayName: 'Email (SMTP)',
  version: VERSION,
  description:
    'Sends certificate events by email over SMTP (STARTTLS or implicit TLS, with login), as plain text plus HTML',
  configSchema: emailConfigSchema,
  env: emailEnvMapping,
  capabilities: { html: true, testConnection: true },
  create: (config, ctx) => createEmailNotifier(config, ctx),
});
