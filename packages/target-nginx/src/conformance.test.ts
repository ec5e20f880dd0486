import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';

// The conformance suite runs on plain files with stand-in commands (a real nginx is in nginx-server.test.ts).
let dir: TempDir | undefined;
const path = (name: string) => join(dir!.path, name);

testTarget(manifest, {
  config: () => ({
    cert_path: path('site.pem'),
    chain_path: path('chain.pem'),
    key_path: path('site.key'),
    validate_command: '/bin/true',
    reload_command: path('reload.sh'),
  }),
  invalidConfigs: [
    { config: { cert_path: 'relative/site.pem', key_path: '/k.pem' }, path: 'cert_path', description: 'relative path' },
    {
      config: { cert_path: '/c.pem', key_path: '/k.pem', reload_command: 'nginx -s reload; rm -rf /' },
      path: 'reload_command',
      description: 'shell metacharacters in a command',
    },
    {
      config: { cert_path: '/c.pem', key_path: '/k.pem', validate_command: '' },
      path: 'validate_command',
      description: 'empty command',
    },
    {
      config: { cert_path: '/c.pem', key_path: '/c.pem' },
      path: 'key_path',
      description: 'key and certificate in one file',
    },
  ],
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-nginx-conformance-');
      // Fails once when the flag exists, like a reload that nginx refuses.
      writeFileSync(
        path('reload.sh'),
        `#!/bin/sh\nif [ -e "${path('fail')}" ]; then rm -f "${path('fail')}"; echo "nginx: [emerg] reload refused" >&2; exit 1; fi\n`,
      );
      chmodSync(path('reload.sh'), 0o755);
    },
    afterAll: () => dir?.remove(),
    failNextDeploy: () => writeFileSync(path('fail'), ''),
    snapshot: () =>
      ['site.pem', 'chain.pem', 'site.key'].map((f) => (existsSync(path(f)) ? readFileSync(path(f), 'utf8') : null)),
  },
});
