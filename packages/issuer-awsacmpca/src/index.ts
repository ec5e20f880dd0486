import { defineIssuer } from '@certctl/core';
import { awsAcmPcaConfigSchema, awsAcmPcaEnvMapping } from './awsacmpca-config.js';
import { createAwsAcmPcaIssuer } from './awsacmpca-issuer.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { AwsAcmPcaIssuerConfig } from './awsacmpca-config.js';
export type { AwsAcmPcaIssuer } from './awsacmpca-issuer.js';

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'awsacmpca',
  displayName: 'AWS Private CA (ACM PCA)',
  version: VERSION,
  description:
    'Issues from an AWS Private CA with IssueCertificate/GetCertificate, revokes with RevokeCertificate; credentials from the AWS default chain',
  configSchema: awsAcmPcaConfigSchema,
  env: awsAcmPcaEnvMapping,
  capabilities: {
    revoke: true,
    caChain: true,
    asyncOrders: true,
    testConnection: true,
  },
  create: (config, ctx) => createAwsAcmPcaIssuer(config, ctx, VERSION),
});
