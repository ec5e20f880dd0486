import { defineTarget } from '@certctl/core';
import { sshConfigSchema } from './ssh-config.js';
import { createSshTarget } from './ssh-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { SshTargetConfig } from './ssh-config.js';
export { createSshTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'ssh',
  displayName: 'SSH (agentless)',
  version: VERSION,
  description:
    'Deploys to a remote Linux/Unix host over SSH/SFTP from a proxy agent: pinned host key, atomic rename of each file, remote owner and mode, validate and reload commands on the host, and the previous files restored on any failure',
  configSchema: sshConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createSshTarget(config, ctx),
});
