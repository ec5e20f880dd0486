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
  // The release check rebuilds a package's JavaScript after `changeset version` (the version is baked
  // in) and keeps the declarations it already has: they do not depend on the version.
  const javascriptOnly = process.env.CERTCTL_BUILD_JAVASCRIPT_ONLY === '1';
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: !javascriptOnly,
    sourcemap: true,
    clean: !javascriptOnly,
    splitting: false,
    treeshake: true,
    define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
    ...overrides,
  });
}
