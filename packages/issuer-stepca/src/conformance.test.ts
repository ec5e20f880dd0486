import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type StepcaSetup, setUpStepca } from './test-support/stepca-setup.js';

let setup: StepcaSetup | undefined;
testIssuer(manifest, {
  config: () => setup!.rawConfig(),
  invalidConfigs: [
    {
      config: {
        ca_url: 'http://ca.internal:9000',
        provisioner_name: 'p',
        provisioner_key_path: '/k',
        root_cert_path: '/r',
      },
      path: 'ca_url',
      description: 'plain HTTP',
    },
    {
      config: {
        ca_url: 'https://ca.internal:9000',
        provisioner_name: 'p',
        provisioner_key_path: '/k',
        root_cert_path: '/r',
        validity_days: 0,
      },
      path: 'validity_days',
      description: 'zero validity',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      setup = await setUpStepca();
    },
    afterAll: () => setup?.close(),
  },
});
