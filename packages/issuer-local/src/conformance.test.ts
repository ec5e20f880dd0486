import { createTestContext, type TestContext, testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { createOpensslHierarchy, type OpensslHierarchy } from './test-support/openssl-hierarchy.js';

const invalidConfigs = [
  { config: { ca_cert_path: '/etc/certctl/ca.pem' }, path: 'ca_key_path', description: 'sub-CA mode without a key' },
  { config: { validity_days: 0 }, path: 'validity_days', description: 'zero validity' },
  { config: { ca_key_algorithm: 'dsa-1024' }, path: 'ca_key_algorithm', description: 'unknown key algorithm' },
  {
    config: { ca_chain_path: '/etc/certctl/chain.pem' },
    path: 'ca_chain_path',
    description: 'chain without sub-CA mode',
  },
];

let rootModeContext: TestContext | undefined;
testIssuer(manifest, {
  config: {},
  invalidConfigs,
  context: async () => {
    rootModeContext = await createTestContext({
      environment: { pkiHttpBaseUrl: 'http://127.0.0.1:8080', instanceId: 'iss-local' },
    });
    return rootModeContext;
  },
  hooks: { afterAll: () => rootModeContext?.cleanup() },
});

let hierarchy: OpensslHierarchy | undefined;
testIssuer(manifest, {
  instanceId: 'iss-local-sub-ca',
  config: () => ({
    ca_cert_path: hierarchy!.intermediateCertPath,
    ca_key_path: hierarchy!.intermediateKeyPath,
    ca_chain_path: hierarchy!.chainPath,
  }),
  hooks: {
    beforeAll: async () => {
      hierarchy = await createOpensslHierarchy();
    },
    afterAll: () => hierarchy?.remove(),
  },
});
