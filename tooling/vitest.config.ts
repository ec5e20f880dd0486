import { certctlProject } from './vitest/preset.mjs';

export default certctlProject(import.meta.url, {
  include: [
    'check-connectors/*.test.ts',
    'release-check/*.test.ts',
    'services/**/*.test.ts',
    'bench/**/*.test.ts',
    'deploy/*.test.ts',
    'fleet-sim/*.test.ts',
  ],
});
