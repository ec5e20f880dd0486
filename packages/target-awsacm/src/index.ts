import { defineTarget } from '@certctl/core';
import { awsAcmConfigSchema } from './awsacm-config.js';
import { createAwsAcmTarget } from './awsacm-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { AwsAcmTargetConfig, AwsAcmTargetConfigInput } from './awsacm-config.js';
export type { AwsAcmTarget } from './awsacm-target.js';
export { createAwsAcmTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'awsacm',
  displayName: 'AWS Certificate Manager',
  version: VERSION,
  description:
    'Imports certificates into AWS Certificate Manager and re-imports renewals into the same ARN (load balancers keep it), with provenance tags, the SDK default credential chain and a restore of the previous certificate on failure',
  configSchema: awsAcmConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createAwsAcmTarget(config, ctx),
});
