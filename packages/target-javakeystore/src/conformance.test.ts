import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget, type WrappedCommand, wrapCommand } from '@certctl/connector-testkit';
import manifest from './index.js';
import type { JavaKeystoreTargetConfigInput } from './javakeystore-config.js';

let dir: TempDir;
let reload: WrappedCommand;
const keystore = () => join(dir.path, 'keystore.p12');

// With the real keytool (JDK); a reload stand-in that can be told to fail once.
testTarget(manifest, {
  // keytool starts a JVM per run; a deploy runs it three times.
  timeoutMs: 240_000,
  config: (): JavaKeystoreTargetConfigInput => ({
    keystore_path: keystore(),
    keystore_password: 'conformance-store-password',
    alias: 'server',
    reload_command: reload.command,
  }),
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-jks-conformance-');
      reload = wrapCommand(dir.path, 'reload', 'true');
    },
    afterAll: () => dir?.remove(),
    failNextDeploy: () => reload.failNext(),
    snapshot: () => {
      try {
        return readFileSync(keystore()).toString('base64');
      } catch {
        return 'missing';
      }
    },
  },
  invalidConfigs: [
    {
      config: { keystore_path: 'keystore.p12', keystore_password: 'changeit' },
      path: 'keystore_path',
      description: 'relative keystore path',
    },
    {
      config: { keystore_path: '/opt/app/ks.p12', keystore_password: 'changeit', alias: 'a b' },
      path: 'alias',
      description: 'space in the alias',
    },
    {
      config: { keystore_path: '/opt/app/ks.p12', keystore_password: 'changeit', keystore_type: 'BCFKS' },
      path: 'keystore_type',
      description: 'unknown keystore type',
    },
    {
      config: {
        keystore_path: '/opt/app/ks.p12',
        keystore_password: 'changeit',
        reload_command: 'systemctl restart tomcat && echo ok',
      },
      path: 'reload_command',
      description: 'shell metacharacter in the reload command',
    },
  ],
});
