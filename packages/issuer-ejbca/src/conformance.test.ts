import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type EjbcaSetup, setUpEjbca } from './test-support/ejbca-setup.js';

let setup: EjbcaSetup | undefined;

testIssuer(manifest, {
  config: () => setup!.config(),
  invalidConfigs: [
    {
      config: { api_url: 'http://ejbca/ejbca/ejbca-rest-api', ca_name: 'CA', auth_mode: 'oauth2', token: 't' },
      path: 'api_url',
      description: 'a plain-HTTP API URL',
    },
    {
      config: { api_url: 'https://ejbca/ejbca/ejbca-rest-api', ca_name: 'CA' },
      path: 'client_cert_path',
      description: 'mTLS without a client certificate',
    },
    {
      config: { api_url: 'https://ejbca/ejbca/ejbca-rest-api', ca_name: 'CA', auth_mode: 'oauth2' },
      path: 'token',
      description: 'OAuth2 without a token',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      setup = await setUpEjbca();
    },
    afterAll: () => setup?.close(),
  },
});
