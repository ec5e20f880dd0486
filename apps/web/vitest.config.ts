import { certctlProject } from '@certctl/tooling/vitest';

// The browser test starts one server and one Chromium for its file; both take a while on a busy CI machine.
export default certctlProject(import.meta.url, {
  testTimeout: 90_000,
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
});
