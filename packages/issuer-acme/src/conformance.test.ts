import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type PebbleFixture, startPebbleFixture } from './test-support/pebble-fixture.js';

const invalidConfigs = [
  {
    config: { directory_url: 'http://acme.example.com/directory' },
    path: 'directory_url',
    description: 'plain-HTTP directory',
  },
  {
    config: { directory_url: 'https://acme.example.com/directory', eab_kid: 'kid-only' },
    path: 'eab_hmac',
    description: 'EAB key id without its HMAC key',
  },
  {
    config: { directory_url: 'https://acme.example.com/directory', challenge_type: 'dns-01' },
    path: 'dns_present_script',
    description: 'dns-01 without a present script',
  },
  {
    config: {
      directory_url: 'https://acme.example.com/directory',
      challenge_type: 'dns-persist-01',
      dns_present_script: '/bin/true',
    },
    path: 'dns_persist_issuer_domain',
    description: 'dns-persist-01 without the issuer domain',
  },
  {
    config: { directory_url: 'https://acme.example.com/directory', challenge_type: 'tls-alpn-01' },
    path: 'challenge_type',
    description: 'unsupported challenge',
  },
];

let fixture: PebbleFixture | undefined;
testIssuer(manifest, {
  instanceId: 'iss-acme',
  config: () => fixture!.config,
  invalidConfigs,
  timeoutMs: 30_000,
  // ACME has no portable way to cap validity: Let's Encrypt rejects newOrder's notAfter, so a
  // profile's max TTL is advisory for this issuer (pebble issues 5-year leaves).
  request: { maxTtlSeconds: null },
  hooks: {
    beforeAll: async () => {
      fixture = await startPebbleFixture();
    },
    afterAll: () => fixture?.stop(),
  },
});
