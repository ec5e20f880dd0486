import { defineNotifier } from '@certctl/core';
import { pagerdutyConfigSchema, pagerdutyEnvMapping } from './pagerduty-config.js';
import { createPagerDutyNotifier } from './pagerduty-notifier.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createPagerDutyNotifier };
export type { PagerDutyConfig } from './pagerduty-config.js';

export default defineNotifier({
  specificationVersion: 'v1',
  id: 'pagerduty',
  displayName: 'PagerDuty',
  version: VERSION,
  description:
    'Triggers PagerDuty alerts through the Events API v2 (deduplicated per certificate event) and resolves them when the problem is fixed',
  configSchema: pagerdutyConfigSchema,
  env: pagerdutyEnvMapping,
  capabilities: { resolve: true },
  create: (config, ctx) => createPagerDutyNotifier(config, ctx),
});
