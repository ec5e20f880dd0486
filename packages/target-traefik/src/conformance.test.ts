import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';

let dir: TempDir | undefined;
const path = (name: string) => join(dir!.path, name);

// No hooks.failNextDeploy: Traefik runs no command that could fail mid-deploy. That a failed read-back
// check restores the previous files is tested on the shared pipeline (connector-utils command-deploy.test.ts).
testTarget(manifest, {
  config: () => ({
    cert_dir: dir!.path,
    cert_file: 'site.crt',
    key_file: 'site.key',
    dynamic_config_file: 'certctl-tls.yml',
  }),
  invalidConfigs: [
    { config: { cert_dir: 'certs' }, path: 'cert_dir', description: 'relative directory' },
    {
      config: { cert_dir: '/etc/traefik/certs', cert_file: '../site.crt' },
      path: 'cert_file',
      description: 'a path instead of a file name',
    },
    {
      config: { cert_dir: '/etc/traefik/certs', dynamic_config_file: 'tls.json' },
      path: 'dynamic_config_file',
      description: 'not YAML',
    },
    {
      config: { cert_dir: '/etc/traefik/certs', cert_file: 'a.pem', key_file: 'a.pem' },
      path: 'key_file',
      description: 'one file for both',
    },
  ],
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-traefik-conformance-');
    },
    afterAll: () => dir?.remove(),
    snapshot: () =>
      ['site.crt', 'site.key', 'certctl-tls.yml'].map((f) =>
        existsSync(path(f)) ? readFileSync(path(f), 'utf8') : null,
      ),
  },
});
