import { testIssuer } from '@certctl/connector-testkit';
import manifest from './index.js';
import { createThrowawayCa, type ThrowawayCa } from './test-support/throwaway-ca.js';

let ca: ThrowawayCa | undefined;
testIssuer(manifest, {
  config: () => ca!.config,
  invalidConfigs: [
    { config: { sign_script: 'sign.sh' }, path: 'sign_script', description: 'relative script path' },
    {
      config: { sign_script: '/usr/local/bin/sign', timeout_seconds: 0 },
      path: 'timeout_seconds',
      description: 'zero timeout',
    },
    {
      config: { sign_script: '/usr/local/bin/sign', script_env: { CERTCTL_NOT_AFTER: '20990101000000Z' } },
      path: 'script_env.CERTCTL_NOT_AFTER',
      description: 'a variable certctl sets itself',
    },
  ],
  timeoutMs: 30_000,
  hooks: {
    beforeAll: async () => {
      ca = await createThrowawayCa();
    },
    afterAll: () => ca?.remove(),
  },
});
