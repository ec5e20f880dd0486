import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  type FakeSectigo,
  startFakeSectigo,
  type TempDir,
  testIssuer,
} from '@certctl/connector-testkit';
import manifest from './index.js';

let sectigo: FakeSectigo | undefined;
let dir: TempDir | undefined;
let caPath = '';

testIssuer(manifest, {
  // Enrollments are approved after two status checks and collect answers "not collectable" twice more.
  config: () => ({
    customer_uri: sectigo!.customerUri,
    login: sectigo!.login,
    password: sectigo!.password,
    org_id: sectigo!.orgId,
    cert_type: 423,
    base_url: sectigo!.baseUrl,
    ca_bundle_path: caPath,
    issue_wait_seconds: 0,
  }),
  invalidConfigs: [
    {
      config: { customer_uri: 'a/b', login: 'l', password: 'p', org_id: 1, cert_type: 1 },
      path: 'customer_uri',
      description: 'a customer URI with a slash',
    },
    {
      config: { customer_uri: 'acme', login: 'l', password: 'p', org_id: 1, cert_type: 1, term: 0 },
      path: 'term',
      description: 'a term of 0 days',
    },
  ],
  // SCM terms are whole cert-type terms (365 days here) and cannot be capped: no max TTL is asked for.
  request: { maxTtlSeconds: null },
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      sectigo = await startFakeSectigo({ approval: { afterChecks: 2 }, collectDelay: 2 });
      dir = await createTempDir('issuer-sectigo-');
      caPath = join(dir.path, 'api-ca.pem');
      await writeFile(caPath, sectigo.caPem!);
    },
    afterAll: async () => {
      await sectigo?.close();
      await dir?.remove();
    },
  },
});
