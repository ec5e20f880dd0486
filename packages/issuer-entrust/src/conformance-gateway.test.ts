import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type EntrustSetup, setUpEntrust } from './test-support/entrust-setup.js';

let setup: EntrustSetup | undefined;

// The CA Gateway with an auto-approved profile: 200 with the certificate, getOrder by tracking id.
testIssuer(manifest, {
  config: () => setup!.gatewayConfig(),
  invalidConfigs: [
    {
      config: { api_url: 'http://cagw.example', ca_id: 'ca', client_cert_path: 'c', client_key_path: 'k' },
      path: 'api_url',
      description: 'a plain-HTTP API URL',
    },
    {
      config: { api_url: 'https://cagw.example', client_cert_path: 'c', client_key_path: 'k' },
      path: 'ca_id',
      description: 'the CA Gateway mode without ca_id',
    },
    {
      config: { api_url: 'https://cagw.example', ca_id: '../x', client_cert_path: 'c', client_key_path: 'k' },
      path: 'ca_id',
      description: 'a CA id that walks out of its path segment',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      setup = await setUpEntrust();
    },
    afterAll: async () => {
      await setup?.close();
    },
  },
});
