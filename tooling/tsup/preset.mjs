// Plain JS (not .ts): config loaders treat workspace packages as external and Node cannot import .ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'tsup';

/**
 * The one build every package uses: ESM, .d.ts, sourcemaps, and `__PACKAGE_VERSION__` replaced by
 * the version in the package's package.json (so `VERSION` can never drift from what is published).
 * @param {import('tsup').Options} [overrides]
 */
export function certctlBuild(overrides = {}) {
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
    ...overrides,
  });
}
