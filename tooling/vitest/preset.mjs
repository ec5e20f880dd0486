// Plain JS (not .ts): config loaders treat workspace packages as external and Node cannot import .ts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/** Workspace packages resolve to their TypeScript sources in tests: no build needed before `vitest`. */
const conditions = ['@certctl/source', 'import', 'module', 'node', 'default'];
/**
 * vitest hands ssr conditions to the worker as `node --conditions`, which also steer `require()`
 * inside CommonJS dependencies: `import` there makes pg's `require('pg-pool')` load the ESM build.
 */
const ssrConditions = ['@certctl/source', 'node', 'development|production'];

/**
 * A package's vitest.config.ts is one line: `export default certctlProject(import.meta.url)`.
 * The project takes the package's name, so `vitest run --project @certctl/pki` works from the root.
 * @param {string} configUrl
 * @param {{ testTimeout?: number, include?: string[], globalSetup?: string[] }} [overrides]
 */
export function certctlProject(configUrl, overrides = {}) {
  const root = dirname(fileURLToPath(configUrl));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return defineProject({
    root,
    resolve: { conditions },
    ssr: { resolve: { conditions: ssrConditions, externalConditions: ssrConditions } },
    define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
    test: {
      name: pkg.name,
      root,
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 120_000,
      ...(overrides.globalSetup && { globalSetup: overrides.globalSetup }),
    },
  });
}
