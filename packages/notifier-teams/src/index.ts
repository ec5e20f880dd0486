import { defineNotifier } from '@certctl/core';
import { teamsConfigSchema, teamsEnvMapping } from './teams-config.js';
import { createTeamsNotifier } from './teams-notifier.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createTeamsNotifier };
export type { TeamsConfig } from './teams-config.js';

export default defineNotifier({
  specificationVersion: 'v1',
  id: 'teams',
  displayName: 'Microsoft Teams',
  version: VERSION,
  description:
    'Posts certificate events to Microsoft Teams: an Adaptive Card through a Workflows webhook, or a MessageCard through a legacy connector',
  configSchema: teamsConfigSchema,
  env: teamsEnvMapping,
  capabilities: {},
  create: (config, ctx) => createTeamsNotifier(config, ctx),
});
