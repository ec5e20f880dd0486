import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type CasSetup, setUpCas } from './test-support/cas-setup.js';

let setup: CasSetup | undefined;

testIssuer(manifest, {
  config: () => setup!.config(),
  invalidConfigs: [
    {
      config: { project: 'my-project', location: 'us-central1', ca_pool: 'pool', ttl: 'forever' },
      path: 'ttl',
      description: 'a TTL that is not a duration',
    },
    {
      config: { project: 'my-project', location: 'us-central1', ca_pool: 'pool', base_url: 'http://cas.example.com' },
      path: 'base_url',
      description: 'a plain-HTTP endpoint off this machine (the token would cross the network in clear)',
    },
    {
      config: { project: 'my-project', location: 'us-central1', ca_pool: 'Pool_1' },
      path: 'ca_pool',
      description: 'a CA pool id with characters CAS does not allow',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      setup = await setUpCas();
    },
    afterAll: () => setup?.close(),
  },
});
