import { fileTargetConformance, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';

// On a plain file with stand-in commands; the real HAProxy is in haproxy-server.test.ts.
testTarget(
  manifest,
  fileTargetConformance({
    files: { pem_path: 'site.pem' },
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
  }),
);
