import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTempDir,
  createTestDeployRequest,
  type FakeBigIp,
  startFakeBigIp,
  type TempDir,
  testTarget,
} from '@certctl/connector-testkit';
import type { F5TargetConfigInput } from './f5-config.js';
import manifest from './index.js';

let fake: FakeBigIp;
let dir: TempDir;

// Against the testkit's iControl REST fake (transactions that commit or roll back as a whole).
testTarget(manifest, {
  config: (): F5TargetConfigInput => {
    const caPath = join(dir.path, 'bigip-ca.pem');
    writeFileSync(caPath, fake.caPem);
    return {
      host: '127.0.0.1',
      port: fake.port,
      username: fake.username,
      password: fake.password,
      partition: 'Common',
      ssl_profile: 'clientssl_conformance',
      ca_cert_path: caPath,
    };
  },
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-f5-conformance-');
      const initial = await createTestDeployRequest({ commonName: 'initial.example.test' });
      fake = await startFakeBigIp({
        profiles: { '/Common/clientssl_conformance': { certPem: initial.certPem, keyPem: initial.keyPem } },
      });
    },
    afterAll: async () => {
      await fake?.close();
      await dir?.remove();
    },
    failNextDeploy: () => fake.failNextCommit(),
    snapshot: () => ({
      profile: fake.profile('/Common/clientssl_conformance'),
      certs: fake.certs().map((c) => c.fullPath),
      keys: fake.keys().map((k) => k.fullPath),
    }),
  },
  invalidConfigs: [
    {
      config: { host: 'bigip.example', username: 'admin', password: 'x', ssl_profile: 'clientssl' },
      path: 'ca_cert_path',
      description: 'neither a pinned CA nor insecure: true',
    },
    {
      config: { host: 'bigip.example', username: 'admin', password: 'x', ssl_profile: '../x', insecure: true },
      path: 'ssl_profile',
      description: 'a path in the profile name',
    },
    {
      config: {
        host: 'bigip.example',
        username: 'admin',
        password: 'x',
        ssl_profile: 'p',
        partition: 'Common/x',
        insecure: true,
      },
      path: 'partition',
      description: 'a slash in the partition',
    },
  ],
});
