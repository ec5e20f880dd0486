import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';

// The conformance suite runs on a plain file with stand-in commands (a real HAProxy is in haproxy-server.test.ts).
let dir: TempDir | undefined;
const path = (name: string) => join(dir!.path, name);

testTarget(manifest, {
  config: () => ({
    pem_path: path('site.pem'),
    validate_command: '/bin/true',
    reload_command: path('reload.sh'),
  }),
  invalidConfigs: [
    { config: { pem_path: 'site.pem' }, path: 'pem_path', description: 'relative path' },
    {
      config: { pem_path: '/etc/haproxy/site.pem', reload_command: 'kill -USR2 $(cat /run/haproxy.pid)' },
      path: 'reload_command',
      description: 'command substitution in a command',
    },
    {
      config: { pem_path: '/etc/haproxy/site.pem', validate_command: 'haproxy -c -f `x`' },
      path: 'validate_command',
      description: 'backticks in a command',
    },
  ],
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-haproxy-conformance-');
      // Fails once when the flag exists, like a reload HAProxy refuses.
      writeFileSync(
        path('reload.sh'),
        `#!/bin/sh\nif [ -e "${path('fail')}" ]; then rm -f "${path('fail')}"; echo "[ALERT] reload refused" >&2; exit 1; fi\n`,
      );
      chmodSync(path('reload.sh'), 0o755);
    },
    afterAll: () => dir?.remove(),
    failNextDeploy: () => writeFileSync(path('fail'), ''),
    snapshot: () => (existsSync(path('site.pem')) ? readFileSync(path('site.pem'), 'utf8') : null),
  },
});
