import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTempDir,
  type FakeKubernetes,
  startFakeKubernetes,
  type TempDir,
  testTarget,
} from '@certctl/connector-testkit';
import manifest from './index.js';
import type { K8sSecretTargetConfigInput } from './k8ssecret-config.js';

let fake: FakeKubernetes;
let dir: TempDir;

const INTERNAL_ERROR = {
  status: 500,
  body: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'etcdserver: leader changed',
    reason: 'InternalError',
    code: 500,
  },
};

// The real @kubernetes/client-node against the testkit's fake API server (kubectl-checked in its own tests).
testTarget(manifest, {
  config: (): K8sSecretTargetConfigInput => {
    const kubeconfig = join(dir.path, 'kubeconfig');
    writeFileSync(kubeconfig, fake.kubeconfig(), { mode: 0o600 });
    return { namespace: 'default', secret_name: 'conformance-tls', kubeconfig_path: kubeconfig, include_ca: true };
  },
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-k8s-conformance-');
      fake = await startFakeKubernetes();
    },
    afterAll: async () => {
      await fake?.close();
      await dir?.remove();
    },
    // The read-back after the write fails: the target must put the previous data back.
    failNextDeploy: () => fake.failNext('GET', INTERNAL_ERROR, 1),
    snapshot: () => {
      const secret = fake.secret('default', 'conformance-tls');
      return secret
        ? {
            type: secret.type,
            data: secret.data,
            labels: secret.metadata.labels,
            annotations: secret.metadata.annotations,
          }
        : 'missing';
    },
  },
  invalidConfigs: [
    { config: { namespace: 'Production', secret_name: 'a' }, path: 'namespace', description: 'uppercase namespace' },
    {
      config: { namespace: 'prod', secret_name: 'api_tls' },
      path: 'secret_name',
      description: 'underscore in the name',
    },
    {
      config: { namespace: 'prod', secret_name: 'api-tls', labels: { 'certctl.io/serial': 'x' } },
      path: 'labels',
      description: 'a label under the reserved certctl.io/ prefix',
    },
    {
      config: { namespace: 'prod', secret_name: 'api-tls', kubeconfig_path: 'kubeconfig' },
      path: 'kubeconfig_path',
      description: 'relative kubeconfig path',
    },
  ],
});
