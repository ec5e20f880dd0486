import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tooling/vitest.config.ts'],
    reporters: ['default'],
    // Vitest's default is one worker per core minus one: a single worker on our 2-core machines.
    // Most test time is spent waiting on servers, child processes and real daemons (nginx, pebble,
    // PostgreSQL), not on the CPU, so three files at a time nearly halves the suite's wall time.
    maxWorkers: 3,
  },
});
