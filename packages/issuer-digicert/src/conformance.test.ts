import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  type FakeDigicert,
  startFakeDigicert,
  type TempDir,
  testIssuer,
} from '@certctl/connector-testkit';
import manifest from './index.js';

let digicert: FakeDigicert | undefined;
let dir: TempDir | undefined;
let caPath = '';

testIssuer(manifest, {
  // Orders wait for validation (two status checks) so the suite follows them through getOrder.
  config: () => ({
    api_key: digicert!.apiKey,
    org_id: digicert!.organizationId,
    base_url: digicert!.baseUrl,
    ca_bundle_path: caPath,
    issue_wait_seconds: 0,
  }),
  invalidConfigs: [
    { config: { api_key: 'k'.repeat(20), org_id: 0 }, path: 'org_id', description: 'an organization id of 0' },
    {
      config: { api_key: 'k'.repeat(20), org_id: 1, base_url: 'http://www.digicert.com/services/v2' },
      path: 'base_url',
      description: 'a plain-HTTP base URL',
    },
    {
      config: { api_key: 'k'.repeat(20), org_id: 1, product_type: '../user/me' },
      path: 'product_type',
      description: 'a product that is not a name_id',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      digicert = await startFakeDigicert({ approval: { afterChecks: 2 } });
      dir = await createTempDir('issuer-digicert-');
      caPath = join(dir.path, 'api-ca.pem');
      await writeFile(caPath, digicert.caPem!);
    },
    afterAll: async () => {
      await digicert?.close();
      await dir?.remove();
    },
  },
});
