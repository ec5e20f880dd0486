import { type FakeAcm, startFakeAcm, testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';
import { useFakeAcmCredentials } from './test-support/aws-environment.js';

let acm: FakeAcm;

testTarget(manifest, {
  timeoutMs: 30_000,
  config: () => ({ region: acm.region, endpoint: acm.url, tags: { env: 'conformance' } }),
  invalidConfigs: [
    { config: { region: 'US East' }, path: 'region', description: 'region that is not an AWS region' },
    {
      config: { region: 'us-east-1', certificate_arn: 'arn:aws:iam::111122223333:role/x' },
      path: 'certificate_arn',
      description: 'ARN of something other than an ACM certificate',
    },
    {
      config: {
        region: 'us-east-1',
        certificate_arn: 'arn:aws:acm:eu-west-1:111122223333:certificate/0f6d3a3c-3f47-4a57-9a4a-0d6c2b7c1e11',
      },
      path: 'certificate_arn',
      description: 'ARN in another region',
    },
    {
      config: { region: 'us-east-1', tags: { 'certctl-managed-by': 'me' } },
      path: 'tags.certctl-managed-by',
      description: 'reserved provenance tag',
    },
    {
      config: { region: 'us-east-1', endpoint: 'http://acm.example.com' },
      path: 'endpoint',
      description: 'plain-http endpoint off loopback',
    },
    {
      config: { region: 'us-east-1', access_key_id: 'AKIA0000' },
      path: '',
      description: 'access keys in config',
    },
  ],
  hooks: {
    beforeAll: async () => {
      acm = await startFakeAcm();
      useFakeAcmCredentials(acm);
    },
    afterAll: () => acm?.close(),
    // The tags after the re-import are refused once: ACM now holds the new bytes, so the target must import the old ones again.
    failNextDeploy: () =>
      acm.failNext('AddTagsToCertificate', { type: 'AccessDeniedException', message: 'injected: tagging refused' }),
    snapshot: () =>
      acm.certificates().map((c) => ({
        arn: c.arn,
        certificatePem: c.certificatePem,
        chainPem: c.chainPem,
        serial: c.serial,
        tags: Object.fromEntries(c.tags),
      })),
  },
});
