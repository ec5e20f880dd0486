import { defineTarget } from '@certctl/core';
import { k8sSecretConfigSchema } from './k8ssecret-config.js';
import { createK8sSecretTarget } from './k8ssecret-target.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export type { K8sSecretTargetConfig } from './k8ssecret-config.js';
export { createK8sSecretTarget };

export default defineTarget({
  specificationVersion: 'v1',
  id: 'k8ssecret',
  displayName: 'Kubernetes Secret',
  version: VERSION,
  description:
    'Writes a kubernetes.io/tls Secret (tls.crt with the chain, tls.key, optional ca.crt) through the Kubernetes API: created, or replaced at the resourceVersion it read with conflicts retried from a fresh read, labelled with the certificate id and serial, read back, and restored on failure',
  configSchema: k8sSecretConfigSchema,
  capabilities: { dryRun: true, validate: true, remote: true, testConnection: true },
  create: (config, ctx) => createK8sSecretTarget(config, ctx),
});
