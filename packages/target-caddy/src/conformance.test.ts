import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget, type WrappedCommand, wrapCommand } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type CaddyInstance, startCaddy } from './test-support/caddy-instance.js';

const invalidConfigs = [
  { config: { mode: 'socket' }, path: 'mode', description: 'unknown mode' },
  { config: { admin_api: 'ftp://localhost:2019' }, path: 'admin_api', description: 'admin API that is not http(s)' },
  { config: { cert_dir: 'certs' }, path: 'cert_dir', description: 'relative cert_dir' },
  { config: { cert_file: '../site.crt' }, path: 'cert_file', description: 'cert_file escaping cert_dir' },
  { config: { key_file: 'site.crt' }, path: 'key_file', description: 'key written over the certificate' },
  { config: { reload_command: 'caddy reload && rm -rf /' }, path: 'reload_command', description: 'shell injection' },
  { config: { certificate_tag: 'a tag' }, path: 'certificate_tag', description: 'tag with a space' },
];

// Api mode: every deploy is a real POST /load; a failed deploy is Caddy refusing the config.
let apiDir: TempDir;
let apiCaddy: CaddyInstance;
testTarget(manifest, {
  instanceId: 'conformance-api',
  timeoutMs: 30_000,
  invalidConfigs,
  config: () => ({ mode: 'api', admin_api: apiCaddy.adminUrl }),
  hooks: {
    beforeAll: async () => {
      apiDir = await createTempDir('certctl-conformance-caddy-api-');
      apiCaddy = await startCaddy(apiDir.path, 'api');
    },
    afterAll: async () => {
      await apiCaddy?.stop();
      await apiDir?.remove();
    },
    // An unrelated certificate file turns unreadable, so Caddy refuses the next config (and stays on the old one).
    failNextDeploy: () => apiCaddy.breakAux(),
    snapshot: async () => (await fetch(`${apiCaddy.adminUrl}/config/`)).json(),
  },
});

// File mode: real caddy validate and caddy reload; a failed deploy is a reload that exits 1.
let fileDir: TempDir;
let fileCaddy: CaddyInstance;
let reload: WrappedCommand;
testTarget(manifest, {
  instanceId: 'conformance-file',
  timeoutMs: 30_000,
  config: () => ({
    mode: 'file',
    cert_dir: fileCaddy.certDir,
    validate_command: fileCaddy.validateCommand,
    reload_command: reload.command,
  }),
  hooks: {
    beforeAll: async () => {
      fileDir = await createTempDir('certctl-conformance-caddy-file-');
      fileCaddy = await startCaddy(fileDir.path, 'file');
      reload = wrapCommand(fileDir.path, 'reload', fileCaddy.reloadCommand);
    },
    afterAll: async () => {
      await fileCaddy?.stop();
      await fileDir?.remove();
    },
    failNextDeploy: () => reload.failNext(),
    snapshot: async () => {
      const cert = join(fileCaddy.certDir, 'site.crt');
      const key = join(fileCaddy.certDir, 'site.key');
      return {
        cert: await readFile(cert, 'utf8'),
        key: await readFile(key, 'utf8'),
        modes: [(await stat(cert)).mode, (await stat(key)).mode],
      };
    },
  },
});
