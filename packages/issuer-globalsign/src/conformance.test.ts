import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type GlobalSignSetup, setUpGlobalSign } from './test-support/globalsign-setup.js';

let setup: GlobalSignSetup | undefined;

// issue_wait_seconds 0 hands back the pending order at once, so the suite follows every request
// through getOrder while the fake answers 202 for its first two lookups.
testIssuer(manifest, {
  config: () => setup!.config({ issue_wait_seconds: 0 }),
  invalidConfigs: [
    {
      config: { api_key: 'k', api_secret: 's', client_cert_path: 'c', client_key_path: 'k' },
      path: 'api_url',
      description: 'neither api_url nor region',
    },
    {
      config: { region: 'mars', api_key: 'k', api_secret: 's', client_cert_path: 'c', client_key_path: 'k' },
      path: 'region',
      description: 'an unknown region',
    },
    {
      config: {
        api_url: 'http://atlas.example/v2',
        api_key: 'k',
        api_secret: 's',
        client_cert_path: 'c',
        client_key_path: 'k',
      },
      path: 'api_url',
      description: 'a plain-HTTP API URL',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      setup = await setUpGlobalSign({ pendingPolls: 2 });
    },
    afterAll: async () => {
      await setup?.close();
    },
  },
});
