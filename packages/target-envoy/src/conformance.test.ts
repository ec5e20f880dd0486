import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';

let dir: TempDir | undefined;
const path = (name: string) => join(dir!.path, name);

// No hooks.failNextDeploy: Envoy runs no command that could fail mid-deploy. That a failed read-back
// check restores the previous files is tested on the shared pipeline (connector-utils command-deploy.test.ts).
testTarget(manifest, {
  config: () => ({ cert_dir: dir!.path, chain_filename: 'chain.pem', sds_config: true }),
  invalidConfigs: [
    { config: { cert_dir: 'certs' }, path: 'cert_dir', description: 'relative directory' },
    {
      config: { cert_dir: '/etc/envoy/certs', key_filename: '../key.pem' },
      path: 'key_filename',
      description: 'a path instead of a file name',
    },
    { config: { cert_dir: '/etc/envoy/certs', sds_config: 'yes' }, path: 'sds_config', description: 'not a boolean' },
    {
      config: { cert_dir: '/etc/envoy/certs', sds_config: true, cert_filename: 'sds.json' },
      path: 'key_filename',
      description: 'certificate written over sds.json',
    },
  ],
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-envoy-conformance-');
    },
    afterAll: () => dir?.remove(),
    snapshot: () =>
      ['cert.pem', 'key.pem', 'chain.pem', 'sds.json'].map((f) =>
        existsSync(path(f)) ? readFileSync(path(f), 'utf8') : null,
      ),
  },
});
