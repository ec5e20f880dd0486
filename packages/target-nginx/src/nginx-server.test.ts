import { testTargetOnRealServer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { startNginx } from './test-support/nginx-server.js';

testTargetOnRealServer(manifest, {
  server: 'nginx',
  start: startNginx,
  config: (nginx) => ({
    cert_path: nginx.files.cert,
    chain_path: nginx.files.chain,
    key_path: nginx.files.key,
    validate_command: nginx.validateCommand,
    reload_command: nginx.reloadCommand,
  }),
  fileModes: { key: 0o600, cert: 0o644 },
  testConnection: { detailContains: '-t -q' },
  postDeployVerify: true,
});
