import { defineNotifier } from '@certctl/core';
import { slackConfigSchema, slackEnvMapping } from './slack-config.js';
import { createSlackNotifier } from './slack-notifier.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createSlackNotifier };
export type { SlackConfig } from './slack-config.js';

export default defineNotifier({
  specificationVersion: 'v1',
  id: 'slack',
  displayName: 'Slack',
  version: VERSION,
  description: 'Posts certificate events to a Slack channel through an incoming webhook, as Block Kit messages',
  configSchema: slackConfigSchema,
  env: slackEnvMapping,
  capabilities: {},
  create: (config, ctx) => createSlackNotifier(config, ctx),
});
