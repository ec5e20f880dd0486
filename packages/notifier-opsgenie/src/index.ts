import { defineNotifier } from '@certctl/core';
import { opsgenieConfigSchema, opsgenieEnvMapping } from './opsgenie-config.js';
import { createOpsgenieNotifier } from './opsgenie-notifier.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createOpsgenieNotifier };
export type { OpsgenieConfig } from './opsgenie-config.js';

export default defineNotifier({
  specificationVersion: 'v1',
  id: 'opsgenie',
  displayName: 'OpsGenie',
  version: VERSION,
  description:
    'Creates OpsGenie alerts through the Alert API v2 (one alias per certificate event, US or EU) and closes them on recovery',
  configSchema: opsgenieConfigSchema,
  env: opsgenieEnvMapping,
  capabilities: { resolve: true },
  create: (config, ctx) => createOpsgenieNotifier(config, ctx),
});
