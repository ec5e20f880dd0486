import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createFakeClock,
  createTempDir,
  createTestContext,
  type TempDir,
  type TestContext,
  testIssuer,
} from '@certctl/connector-testkit';
import manifest from './index.js';
import { type FakeVault, startFakeVault } from './test-support/fake-vault.js';

let vault: FakeVault | undefined;
let dir: TempDir | undefined;
let caPath = '';
let ctx: TestContext | undefined;

testIssuer(manifest, {
  config: () => ({ addr: vault!.url, token: 'hvs.conformance-token', role: 'servers', ca_cert_path: caPath }),
  invalidConfigs: [
    { config: { addr: 'ftp://vault', token: 't', role: 'r' }, path: 'addr', description: 'a non-HTTP address' },
    {
      config: { addr: 'https://vault', token: 't', role: 'r', ttl: 'forever' },
      path: 'ttl',
      description: 'a TTL that is not a duration',
    },
    {
      config: { addr: 'https://vault', token: 't', role: '../sys' },
      path: 'role',
      description: 'a role that walks out of the mount',
    },
  ],
  timeoutMs: 30_000,
  // A clock that only moves when told: the token renewal loop then waits (as it would for half an
  // hour) instead of renewing in a tight loop while the suite runs; token-renewal.test.ts drives it.
  context: async () => {
    ctx = await createTestContext({ clock: createFakeClock({ start: Date.now(), autoAdvance: false }) });
    return ctx;
  },
  hooks: {
    beforeAll: async () => {
      vault = await startFakeVault();
      vault.addToken('hvs.conformance-token', { ttlSeconds: 3600 });
      dir = await createTempDir('issuer-vault-');
      caPath = join(dir.path, 'vault-ca.pem');
      await writeFile(caPath, vault.tlsCaPem);
    },
    afterAll: async () => {
      await ctx?.cleanup();
      await vault?.close();
      await dir?.remove();
      if (vault && vault.renewals > 0) throw new Error(`the renewal loop ran ${vault.renewals} times during the suite`);
    },
  },
});
