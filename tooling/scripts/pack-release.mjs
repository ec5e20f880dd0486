#!/usr/bin/env node
// pack-release [--out <dir>] [--no-build] <package>...: release tarballs made from the repository,
// for installing certctl before (or without) the npm registry. Builds the named packages and the
// workspace packages they depend on at run time, then `pnpm pack`s all of them into <dir>
// (default release/, emptied of older tarballs first), so that
// `npm install -g <dir>/*.tgz` installs them with their @certctl dependencies from the same folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listPublicPackages, workspaceClosure } from '../release-check/workspace-packages.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const usage = 'usage: pack-release [--out <dir>] [--no-build] <package>...   e.g. pack-release @certctl/agent';

const argv = process.argv.slice(2);
let out = join(root, 'release');
let build = true;
const names = [];
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--help' || arg === '-h') {
    console.log(usage);
    process.exit(0);
  } else if (arg === '--out') out = resolve(argv[++i] ?? '');
  else if (arg === '--no-build') build = false;
  else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
  else names.push(arg);
}
if (names.length === 0) fail('name at least one package');

const packages = listPublicPackages(root);
const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
const unknown = names.filter((name) => !byName.has(name));
if (unknown.length) fail(`not a public package of this repository: ${unknown.join(', ')}`);
const manifests = new Map(packages.map((pkg) => [pkg.name, pkg.manifest]));
const selected = [...new Set(names.flatMap((name) => [name, ...workspaceClosure(name, manifests)]))].sort();

const pnpm = join(root, 'node_modules/pnpm/bin/pnpm.cjs');
// Build only what is missing or older than its sources (as make does): a checkout built already
// (CI, or a second run) packs at once, and builds never rewrite dist/ under a running process.
const stale = selected.filter((name) => isStale(byName.get(name).dir));
if (build && stale.length > 0) {
  if (!existsSync(pnpm)) fail('no node_modules: run `npx --yes pnpm@10.34.9 install --frozen-lockfile` first');
  // --filter-prod: what the packages need at run time, not their dev dependencies (the server, ...).
  execFileSync(
    process.execPath,
    [pnpm, '--workspace-concurrency=2', ...stale.flatMap((name) => ['--filter-prod', `${name}...`]), 'run', 'build'],
    { cwd: root, stdio: ['ignore', 2, 2] }, // the build's log on stderr, the tarballs on stdout
  );
}
for (const name of selected) {
  if (!existsSync(join(byName.get(name).dir, 'dist')))
    fail(`${name} has no dist/: build it first (or drop --no-build)`);
}
mkdirSync(out, { recursive: true });
for (const file of readdirSync(out)) if (file.endsWith('.tgz')) rmSync(join(out, file));
// The versions of this checkout, as they are (the release check and the images pack the next
// release's versions from a scratch copy instead; that costs an install and rebuilds).
for (const name of selected) {
  const printed = execFileSync(process.execPath, [pnpm, 'pack', '--pack-destination', out], {
    cwd: byName.get(name).dir,
    encoding: 'utf8',
  });
  const tarball = printed
    .trim()
    .split('\n')
    .reverse()
    .find((line) => line.trim().endsWith('.tgz'));
  if (!tarball) fail(`pnpm pack printed no tarball for ${name}:\n${printed}`);
  console.log(relative(process.cwd(), tarball.trim()) || tarball.trim());
}
const shown = relative(process.cwd(), out);
const folder = shown === '' ? '.' : shown.startsWith('..') || isAbsolute(shown) ? out : `./${shown}`;
console.log(`${selected.length} tarballs; install them together: npm install -g ${folder}/*.tgz`);

/** True when dist/ is missing or a source file (src/, package.json, tsconfig) is newer than it. */
function isStale(dir) {
  const built = join(dir, 'dist/index.js');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const newer = (path) => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs > builtAt;
    return readdirSync(path).some((entry) => newer(join(path, entry)));
  };
  return ['src', 'package.json', 'tsconfig.json'].some(
    (entry) => existsSync(join(dir, entry)) && newer(join(dir, entry)),
  );
}

function fail(message) {
  console.error(`pack-release: ${message}\n${usage}`);
  process.exit(2);
}
