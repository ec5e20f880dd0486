import {
  createFakeWindowsHost,
  createTempDir,
  createTestContext,
  type FakeWindowsHost,
  type FakeWinRm,
  startFakeWinRm,
  type TempDir,
  testTarget,
} from '@certctl/connector-testkit';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import manifest from './index.js';

const storeSnapshot = (host: FakeWindowsHost) => host.store('LocalMachine', 'My').map((c) => ({ ...c }));

// Local mode: powershell.exe on the agent host, played by the fake host's exec.
let local: FakeWindowsHost;
testTarget(manifest, {
  instanceId: 'conformance-local',
  config: { friendly_name: 'certctl conformance' },
  context: () => {
    local = createFakeWindowsHost();
    return createTestContext({ exec: local.exec });
  },
  invalidConfigs: [
    { config: { store_location: 'System' }, path: 'store_location', description: 'unknown store location' },
    { config: { store_name: "My'; calc" }, path: 'store_name', description: 'store name with a quote' },
    { config: { mode: 'winrm' }, path: 'winrm_host', description: 'winrm mode without a host' },
    {
      config: { mode: 'winrm', winrm_host: 'iis01', winrm_username: 'u', winrm_password: 'p', winrm_https: false },
      path: 'winrm_https',
      description: 'WinRM over plain HTTP',
    },
    { config: { friendly_name: 'a\nb' }, path: 'friendly_name', description: 'control character in a name' },
    { config: { exec_deadline: '1h' }, path: 'exec_deadline', description: 'deadline in hours' },
  ],
  hooks: {
    failNextDeploy: () => local.failNext('CertStore.SetArchived', 'Access is denied.'),
    snapshot: () => storeSnapshot(local),
  },
});

// WinRM mode: a proxy agent reaching the host over HTTPS with NTLM.
let remote: FakeWindowsHost;
let winrm: FakeWinRm;
let dir: TempDir;
testTarget(manifest, {
  instanceId: 'conformance-winrm',
  timeoutMs: 30_000,
  config: async () => {
    const caPath = join(dir.path, 'winrm-ca.pem');
    await writeFile(caPath, winrm.caPem);
    return {
      mode: 'winrm',
      winrm_host: '127.0.0.1',
      winrm_port: Number(new URL(winrm.endpoint).port),
      winrm_username: 'IIS01\\certctl',
      winrm_password: 'Winrm-Passw0rd',
      winrm_ca_path: caPath,
    };
  },
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-wincertstore-');
      remote = createFakeWindowsHost();
      winrm = await startFakeWinRm({
        host: remote,
        username: 'IIS01\\certctl',
        password: 'Winrm-Passw0rd',
        auth: 'ntlm',
      });
    },
    afterAll: async () => {
      await winrm?.close();
      await dir?.remove();
    },
    failNextDeploy: () => remote.failNext('CertStore.SetArchived', 'Access is denied.'),
    snapshot: () => storeSnapshot(remote),
  },
});
