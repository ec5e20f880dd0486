import { defineTarget } from '@certctl/core';
import { winCertStoreConfigSchema } from './wincertstore-config.js';
import { createWinCertStoreTarget } from './wincertstore-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { WinCertStoreTargetConfig, WinCertStoreTargetConfigInput } from './wincertstore-config.js';
export type { WinCertStoreTarget } from './wincertstore-target.js';
export { createWinCertStoreTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'wincertstore',
  displayName: 'Windows certificate store',
  version: VERSION,
  description:
    'Imports certificates with their keys into a Windows certificate store through generated PowerShell, on the agent host or over WinRM (HTTPS, NTLM or Basic); archives the certificate it replaces and restores it on failure',
  configSchema: winCertStoreConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createWinCertStoreTarget(config, ctx),
});
