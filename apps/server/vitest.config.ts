import { certctlProject } from '@certctl/tooling/vitest';

// Server tests start servers and drive real clients; on a busy 2-core CI machine 30 s is too tight a hang guard.
// The global setup collects what the test servers answered and fails the run on a response that does
// not match its route's declared schema.
export default certctlProject(import.meta.url, {
  testTimeout: 90_000,
  globalSetup: ['src/testing/response-coverage.global-setup.ts'],
});
