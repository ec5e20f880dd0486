// The public packages of the workspace: every package.json under the pnpm-workspace globs that is not private.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} root the monorepo root
 * @returns {{ name: string, dir: string, relativeDir: string, manifest: Record<string, any> }[]}
 */
export function listPublicPackages(root) {
  const globs = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
    .split('\n')
    .map((line) => /^\s*-\s*['"]?([^'"]+?)['"]?\s*$/.exec(line)?.[1])
    .filter((glob) => glob?.endsWith('/*'));
  const found = [];
  for (const glob of globs) {
    const parent = join(root, glob.slice(0, -2));
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const manifestPath = join(parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (manifest.private) continue;
      const relativeDir = `${glob.slice(0, -2)}/${entry.name}`;
      found.push({ name: manifest.name, dir: join(parent, entry.name), relativeDir, manifest });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Names of the workspace packages `name` depends on at run time (dependencies and peers), transitively. */
export function workspaceClosure(name, manifestsByName) {
  const seen = new Set();
  const visit = (current) => {
    const manifest = manifestsByName.get(current);
    if (!manifest) return;
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      if (manifestsByName.has(dep) && !seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  seen.delete(name);
  return [...seen];
}
