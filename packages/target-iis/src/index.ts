import { defineTarget } from '@certctl/core';
import { iisConfigSchema } from './iis-config.js';
import { createIisTarget } from './iis-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { IisTargetConfig, IisTargetConfigInput } from './iis-config.js';
export type { IisTarget } from './iis-target.js';
export { createIisTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'iis',
  displayName: 'IIS',
  version: VERSION,
  description:
    'Imports certificates into the Windows certificate store and binds them to an IIS https binding (site, IP, port, host header, SNI) through generated PowerShell, on the IIS host or over WinRM; rebinds the previous thumbprint on failure',
  configSchema: iisConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createIisTarget(config, ctx),
});
