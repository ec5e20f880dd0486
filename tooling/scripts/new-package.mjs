#!/usr/bin/env node
// Scaffolds a workspace package with the house layout: `node tooling/scripts/new-package.mjs packages/issuer-foo "description"`.
// Connectors (issuer-/target-/notifier-/discovery-) get @certctl/core as a peer and the `certctl` field.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const [dir, description = ''] = process.argv.slice(2);
if (!dir) {
  console.error('usage: new-package.mjs <packages/name|apps/name> [description]');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '../..');
const pkgDir = join(root, dir);
if (existsSync(join(pkgDir, 'package.json'))) {
  console.error(`${dir}/package.json exists already`);
  process.exit(1);
}
const suffix = basename(pkgDir);
const name = `@certctl/${suffix}`;
const connectorMatch = /^(issuer|target|notifier|discovery)-([a-z0-9-]+)$/.exec(suffix);
const exportsMap = (withSource) => ({
  './package.json': './package.json',
  '.': {
    ...(withSource ? { '@certctl/source': './src/index.ts' } : {}),
    types: './dist/index.d.ts',
    import: './dist/index.js',
  },
});
const pkg = {
  name,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  homepage: `https://github.com/certctl/certctl/tree/main/${dir}#readme`,
  bugs: 'https://github.com/certctl/certctl/issues',
  keywords: [
    'certctl',
    'certificates',
    'pki',
    'tls',
    'x509',
    ...(connectorMatch ? [`certctl-${connectorMatch[1]}`, connectorMatch[2]] : []),
  ],
  type: 'module',
  sideEffects: false,
  exports: exportsMap(true),
  publishConfig: { access: 'public', exports: exportsMap(false) },
  files: ['dist', 'README.md', 'CHANGELOG.md', 'LICENSE'],
  engines: { node: '>=20.19' },
  repository: { type: 'git', url: 'git+https://github.com/certctl/certctl.git', directory: dir },
  ...(connectorMatch ? { certctl: { kind: connectorMatch[1], id: connectorMatch[2] } } : {}),
  scripts: {
    build: 'tsup',
    typecheck: 'tsc -p tsconfig.json',
    lint: 'biome check --assist-enabled=false src',
    test: 'vitest run',
  },
  ...(connectorMatch
    ? {
        // Any core of the 0.x line implementing contract v1: the registry checks specificationVersion at
        // run time, so a core minor must not force a major of every connector (a caret on 0.x would).
        peerDependencies: { '@certctl/core': 'workspace:>=0.1.0 <1.0.0' },
        dependencies: { '@certctl/connector-utils': 'workspace:^' },
        devDependencies: {
          '@certctl/core': 'workspace:^',
          '@certctl/connector-testkit': 'workspace:^',
          '@certctl/tooling': 'workspace:*',
        },
      }
    : { dependencies: {}, devDependencies: { '@certctl/tooling': 'workspace:*' } }),
};
mkdirSync(join(pkgDir, 'src'), { recursive: true });
copyFileSync(join(root, 'LICENSE'), join(pkgDir, 'LICENSE'));
writeFileSync(join(pkgDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(pkgDir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tooling/tsconfig/base.json', include: ['src', '*.config.ts', '../../tooling/tsconfig/globals.d.ts'] }, null, 2)}\n`,
);
writeFileSync(
  join(pkgDir, 'tsup.config.ts'),
  "import { certctlBuild } from '@certctl/tooling/tsup';\n\nexport default certctlBuild();\n",
);
writeFileSync(
  join(pkgDir, 'vitest.config.ts'),
  "import { certctlProject } from '@certctl/tooling/vitest';\n\nexport default certctlProject(import.meta.url);\n",
);
if (!existsSync(join(pkgDir, 'src/index.ts')))
  writeFileSync(
    join(pkgDir, 'src/index.ts'),
    "export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';\n",
  );
// The files above are written by JSON.stringify; the house format is biome's (lint checks it).
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', pkgDir], { stdio: 'ignore' });
console.log(`created ${dir} (${name})`);
