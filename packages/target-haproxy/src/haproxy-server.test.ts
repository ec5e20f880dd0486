import { readFileSync } from 'node:fs';
import { testTargetOnRealServer } from '@certctl/connector-testkit';
import { expect } from 'vitest';
import manifest from './index.js';
import { startHaproxy } from './test-support/haproxy-server.js';

testTargetOnRealServer(manifest, {
  server: 'HAProxy',
  start: startHaproxy,
  config: (haproxy) => ({
    pem_path: haproxy.files.pem,
    validate_command: haproxy.validateCommand,
    reload_command: haproxy.reloadCommand,
  }),
  fileModes: { pem: 0o600 },
  checkDeployedFiles: (haproxy) => {
    // Certificate, chain, then key, in one file.
    expect(readFileSync(haproxy.files.pem, 'utf8').match(/-----BEGIN [A-Z ]+-----/g)).toEqual([
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN PRIVATE KEY-----',
    ]);
  },
  testConnection: { detailContains: 'haproxy -c' },
  postDeployVerify: true,
});
