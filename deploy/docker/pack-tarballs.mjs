#!/usr/bin/env node
// Packs an app and the workspace packages it needs (plus chosen connectors) as they would be
// published, into one directory of tarballs. Used by the images' `pack` stage and by the test that
// reproduces the images' contents. Needs the packages built (dist/) and the repository's git data.
//   node deploy/docker/pack-tarballs.mjs --out /tarballs @certctl/server [@certctl/issuer-vault ...]
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packWorkspace } from '../../tooling/release-check/pack-workspace.mjs';
import { listPublicPackages, workspaceClosure } from '../../tooling/release-check/workspace-packages.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * @param {{ out: string, packages: string[] }} options
 * @returns {{ name: string, version: string, file: string }[]}
 */
export function packTarballs({ out, packages }) {
  // The pinned pnpm of the root package.json, as the release check runs it.
  const pnpm = [process.execPath, join(root, 'node_modules/pnpm/bin/pnpm.cjs')];
  const manifests = new Map(listPublicPackages(root).map((pkg) => [pkg.name, pkg.manifest]));
  for (const name of packages) {
    if (!manifests.has(name)) throw new Error(`${name} is not a public package of this workspace`);
  }
  const only = [...new Set(packages.flatMap((name) => [name, ...workspaceClosure(name, manifests)]))];
  mkdirSync(out, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'certctl-pack-'));
  try {
    const packed = packWorkspace({ root, workDir, pnpm, only });
    return packed.map((pkg) => {
      const file = join(out, pkg.tarball.split('/').pop());
      copyFileSync(pkg.tarball, file);
      return { name: pkg.name, version: pkg.version, file };
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  if (outIndex === -1 || !args[outIndex + 1] || args.length < 3) {
    console.error('usage: pack-tarballs.mjs --out <dir> <package> [<package> ...]');
    process.exit(2);
  }
  const out = resolve(args[outIndex + 1]);
  const packages = args.filter((_, i) => i !== outIndex && i !== outIndex + 1);
  const packed = packTarballs({ out, packages });
  for (const pkg of packed) console.log(`${pkg.name}@${pkg.version} ${pkg.file}`);
  if (readdirSync(out).length === 0) process.exit(1);
}
