import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import manifest from './index.js';

const snapshot = (host: FakeWindowsHost) => ({
  bindings: structuredClone(host.site('Default Web Site')),
  store: host.store('LocalMachine', 'WebHosting').map((c) => ({ ...c })),
});

let local: FakeWindowsHost;
testTarget(manifest, {
  instanceId: 'conformance-local',
  config: { site_name: 'Default Web Site', cert_store: 'WebHosting', sni: true, binding_info: 'www.example.test' },
  context: () => {
    local = createFakeWindowsHost();
    local.addSite('Default Web Site');
    return createTestContext({ exec: local.exec });
  },
  invalidConfigs: [
    { config: { site_name: 'Default*' }, path: 'site_name', description: 'wildcard in the site name' },
    { config: { site_name: "x'; calc; '" }, path: 'site_name', description: 'quote in the site name' },
    { config: { site_name: 's', sni: true }, path: 'binding_info', description: 'SNI without a host name' },
    { config: { site_name: 's', ip_address: '10.0.0.300' }, path: 'ip_address', description: 'not an IP address' },
    { config: { site_name: 's', mode: 'winrm' }, path: 'winrm', description: 'winrm mode without winrm settings' },
    {
      config: {
        site_name: 's',
        mode: 'winrm',
        winrm: { winrm_host: 'h', winrm_username: 'u', winrm_password: 'p', winrm_https: false },
      },
      path: 'winrm.winrm_https',
      description: 'WinRM over plain HTTP',
    },
  ],
  hooks: {
    // The binding refuses the new certificate after it was imported: the import must be undone.
    failNextDeploy: () => local.failNext('Iis.SetBinding', 'A specified logon session does not exist.'),
    snapshot: () => snapshot(local),
  },
});

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
      site_name: 'Default Web Site',
      cert_store: 'WebHosting',
      mode: 'winrm',
      winrm: {
        winrm_host: '127.0.0.1',
        winrm_port: Number(new URL(winrm.endpoint).port),
        winrm_username: 'administrator',
        winrm_password: 'Basic-over-TLS-1',
        winrm_auth: 'basic',
        winrm_ca_path: caPath,
      },
    };
  },
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir('certctl-iis-');
      remote = createFakeWindowsHost();
      remote.addSite('Default Web Site');
      winrm = await startFakeWinRm({
        host: remote,
        username: 'administrator',
        password: 'Basic-over-TLS-1',
        auth: 'basic',
      });
    },
    afterAll: async () => {
      await winrm?.close();
      await dir?.remove();
    },
    // Applied, then failed: the binding points at the new certificate when the error comes back.
    failNextDeploy: () => remote.failNext('Iis.SetBinding', 'The RPC server is unavailable.', { applied: true }),
    snapshot: () => snapshot(remote),
  },
});
