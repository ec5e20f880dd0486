// Packs the workspace as it would be published: a scratch copy, `changeset version` on it (so
// versions and peer ranges are the released ones), then `pnpm pack` of every public package.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listPublicPackages } from './workspace-packages.mjs';

/**
 * @param {{ root: string, workDir: string, pnpm: string[], only?: string[] }} options
 * @returns {{ name: string, relativeDir: string, version: string, manifest: Record<string, any>, tarball: string }[]}
 */
export function packWorkspace({ root, workDir, pnpm, only }) {
  const scratch = join(workDir, 'repo');
  const tarballDir = join(workDir, 'tarballs');
  mkdirSync(tarballDir, { recursive: true });
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .toString('utf8')
    .split('\0')
    .filter((path) => path && existsSync(join(root, path)));
  for (const path of tracked) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    cpSync(join(root, path), join(scratch, path));
  }
  const packages = listPublicPackages(root);
  for (const pkg of packages) {
    // Only what is packed needs a build (the deploy images pack a few packages, not all).
    if (only && !only.includes(pkg.name)) continue;
    const dist = join(pkg.dir, 'dist');
    if (!existsSync(dist)) throw new Error(`${pkg.name} has no dist/: build the workspace first (pnpm build)`);
    cpSync(dist, join(scratch, pkg.relativeDir, 'dist'), { recursive: true });
  }
  const changesetBin = join(root, 'node_modules/@changesets/cli/bin.js');
  execFileSync(process.execPath, [changesetBin, 'version'], { cwd: scratch, stdio: 'pipe' });
  const [pnpmCommand, ...pnpmArgs] = pnpm;
  execFileSync(
    pnpmCommand,
    [...pnpmArgs, 'install', '--prefer-offline', '--frozen-lockfile', '--ignore-scripts', '--reporter=silent'],
    { cwd: scratch, stdio: 'pipe', env: { ...process.env, CI: 'true' } },
  );
  // The build bakes each package's version into its code (`VERSION`, `--version`): a package whose
  // version the changesets bump is rebuilt after the bump, as the release itself would be.
  const bumped = packages.filter(
    (pkg) =>
      (!only || only.includes(pkg.name)) &&
      JSON.parse(readFileSync(join(scratch, pkg.relativeDir, 'package.json'), 'utf8')).version !== pkg.manifest.version,
  );
  if (bumped.length > 0) {
    execFileSync(
      pnpmCommand,
      [...pnpmArgs, '--workspace-concurrency=2', ...bumped.flatMap((pkg) => ['--filter', pkg.name]), 'run', 'build'],
      { cwd: scratch, stdio: 'pipe', env: { ...process.env, CI: 'true', CERTCTL_BUILD_JAVASCRIPT_ONLY: '1' } },
    );
  }
  const packed = [];
  for (const pkg of packages) {
    if (only && !only.includes(pkg.name)) continue;
    const dir = join(scratch, pkg.relativeDir);
    const out = execFileSync(pnpmCommand, [...pnpmArgs, 'pack', '--pack-destination', tarballDir], {
      cwd: dir,
      encoding: 'utf8',
    });
    const tarball = out
      .trim()
      .split('\n')
      .reverse()
      .find((line) => line.endsWith('.tgz'))
      ?.trim();
    if (!tarball) throw new Error(`pnpm pack printed no tarball for ${pkg.name}:\n${out}`);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    packed.push({ name: pkg.name, relativeDir: pkg.relativeDir, version: manifest.version, manifest, tarball });
  }
  return packed;
}
