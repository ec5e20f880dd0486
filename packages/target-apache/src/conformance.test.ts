import { fileTargetConformance, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';

// On plain files with stand-in commands; the real Apache is in apache-server.test.ts.
testTarget(
  manifest,
  fileTargetConformance({
    files: { cert_path: 'site.pem', chain_path: 'chain.pem', key_path: 'site.key' },
    invalidConfigs: [
      {
        config: { cert_path: 'relative/site.pem', key_path: '/k.pem' },
        path: 'cert_path',
        description: 'relative path',
      },
      {
        config: { cert_path: '/c.pem', key_path: '/k.pem', reload_command: 'apachectl graceful; rm -rf /' },
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
  }),
);
