import { readFileSync } from 'node:fs';
import { testTargetOnRealServer } from '@certctl/connector-testkit';
import { expect } from 'vitest';
import manifest from './index.js';
import { startApache } from './test-support/apache-server.js';

const certificates = (path: string) => readFileSync(path, 'utf8').match(/BEGIN CERTIFICATE/g);

testTargetOnRealServer(manifest, {
  server: 'Apache httpd',
  start: startApache,
  config: (apache) => ({
    cert_path: apache.files.cert,
    chain_path: apache.files.chain,
    key_path: apache.files.key,
    validate_command: apache.validateCommand,
    reload_command: apache.reloadCommand,
  }),
  fileModes: { key: 0o600, cert: 0o644 },
  checkDeployedFiles: (apache) => {
    // chain_path is set, so cert_path holds the leaf alone and the chain comes from SSLCertificateChainFile.
    expect(certificates(apache.files.cert)).toHaveLength(1);
    expect(certificates(apache.files.chain)).toHaveLength(1);
  },
  testConnection: { detailContains: 'apache2 -t' },
  postDeployVerify: true,
});
