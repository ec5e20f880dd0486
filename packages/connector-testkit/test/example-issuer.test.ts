import { testIssuer } from '../src/index.js';
import manifest from './fixtures/example-issuer/index.js';

testIssuer(manifest, {
  config: { api_token: 'conformance-token-1234', validity_days: 90 },
  invalidConfigs: [
    { config: { api_token: 'short' }, path: 'api_token', description: 'api_token shorter than 8 characters' },
  ],
});

testIssuer(manifest, {
  config: { api_token: 'conformance-token-1234', async_orders: true },
  request: {
    commonName: 'async.example.test',
    sans: { dns: ['async.example.test'], ip: ['192.0.2.10'] },
    maxTtlSeconds: 7 * 86_400,
  },
});
