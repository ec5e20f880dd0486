import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type EntrustSetup, setUpEntrust } from './test-support/entrust-setup.js';

let setup: EntrustSetup | undefined;

// The enterprise API with every order queued for approval; the fake's administrator approves each
// order on its second lookup, so the suite follows real pending orders through getOrder.
testIssuer(manifest, {
  config: () => setup!.enterpriseConfig({ queue_for_approval: true }),
  invalidConfigs: [
    {
      config: {
        api_mode: 'enterprise',
        api_url: 'https://api.entrust.net',
        client_cert_path: 'c',
        client_key_path: 'k',
      },
      path: 'username',
      description: 'the enterprise mode without a username',
    },
    {
      config: {
        api_mode: 'enterprise',
        api_url: 'https://api.entrust.net',
        username: 'u',
        api_key: 'k',
        cert_type: 'standard ssl',
        client_cert_path: 'c',
        client_key_path: 'k',
      },
      path: 'cert_type',
      description: 'a certificate type that is not an Entrust product code',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      setup = await setUpEntrust({ approveAfterLookups: 2 });
    },
    afterAll: async () => {
      await setup?.close();
    },
  },
});
