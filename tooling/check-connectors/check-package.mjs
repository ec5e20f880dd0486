import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Same list as @certctl/core's CONNECTOR_KINDS (checked by a test); static so package.json checks load no code. */
export const KINDS = ['issuer', 'target', 'notifier', 'discovery'];
const SOURCE_CONDITIONS = ['@certctl/source', 'import', 'node', 'default'];

/** @typedef {{ rule: string, message: string }} Finding */

/** Picks the file an export target resolves to under `conditions` (first matching key wins, like Node). */
function pickExport(target, conditions) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const hit = pickExport(t, conditions);
      if (hit) return hit;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target)) {
      if (condition === 'default' || conditions.includes(condition)) {
        const hit = pickExport(value, conditions);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

function lowerBoundAtLeast(range, major, minor) {
  const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(String(range ?? '').trim());
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2] ?? 0)];
  return maj > major || (maj === major && min >= minor);
}

function listFiles(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(path, out);
    else out.push(path);
  }
  return out;
}

/** Top-level keys listed in the first column of any markdown table in `readme`. */
export function tableKeys(readme) {
  const keys = new Set();
  for (const line of readme.split('\n')) {
    const m = /^\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const cell = m[1].trim().replace(/^`|`$/g, '').trim();
    if (cell && !/^:?-{2,}:?$/.test(cell)) keys.add(cell);
  }
  return keys;
}

/** Static checks of package.json, with no code loaded. */
export function checkPackageJson(pkg) {
  /** @type {Finding[]} */
  const f = [];
  const add = (rule, message) => f.push({ rule, message });
  if (pkg.type !== 'module') add('package.type', '"type" must be "module" (ESM only)');
  if (pkg.sideEffects !== false) add('package.sideEffects', '"sideEffects" must be false');
  const dot = pkg.exports?.['.'];
  if (!dot || typeof dot !== 'object') add('package.exports', '"exports" must map "." to { "types", "import" }');
  else {
    if (!dot.types) add('package.exports', '"exports"["."] has no "types" condition');
    if (!dot.import) add('package.exports', '"exports"["."] has no "import" condition');
  }
  if (pkg.exports && !pkg.exports['./package.json'])
    add('package.exports', '"exports" must expose "./package.json" (loadInstalledConnectors reads it)');
  if (!Array.isArray(pkg.files) || !pkg.files.includes('dist'))
    add('package.files', '"files" must list "dist" (and README.md, CHANGELOG.md)');
  if (pkg.publishConfig?.access !== 'public') add('package.publishConfig', '"publishConfig.access" must be "public"');
  if (!lowerBoundAtLeast(pkg.engines?.node, 20, 19))
    add(
      'package.engines',
      `"engines.node" must be ">=20.19" (pkijs and asn1js need it), got ${JSON.stringify(pkg.engines?.node)}`,
    );
  if (!pkg.peerDependencies?.['@certctl/core'])
    add('package.peerDependencies', '@certctl/core must be a peer dependency (and a dev dependency), not a dependency');
  if (pkg.dependencies?.['@certctl/core'])
    add(
      'package.dependencies',
      '@certctl/core must not be a regular dependency: apps and connectors must share one core',
    );
  if (!pkg.repository?.directory) add('package.repository', '"repository.directory" is missing');
  const decl = pkg.certctl;
  if (!decl || !KINDS.includes(decl.kind) || typeof decl.id !== 'string') {
    add(
      'package.certctl',
      `"certctl" must be { "kind": ${KINDS.map((k) => `"${k}"`).join(' | ')}, "id": "<kebab-case id>" } so apps find the connector`,
    );
  } else {
    const last =
      String(pkg.name ?? '')
        .split('/')
        .at(-1) ?? '';
    if (!last.endsWith(`${decl.kind}-${decl.id}`))
      add(
        'package.name',
        `package name ${pkg.name} must end with "${decl.kind}-${decl.id}" (the certctl field says ${decl.kind}/${decl.id})`,
      );
  }
  return f;
}

/**
 * Every check for one connector package directory. Imports its source entry (the caller must have
 * enabled TypeScript imports). Returns the package name and its problems.
 * @param {string} dir
 * @returns {Promise<{ name: string, dir: string, problems: Finding[] }>}
 */
export async function checkConnectorPackage(dir) {
  /** @type {Finding[]} */
  const problems = [];
  const add = (rule, message) => problems.push({ rule, message });
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch (error) {
    add('package.json', `cannot read package.json: ${error.message}`);
    return { name: basename(dir), dir, problems };
  }
  const name = pkg.name ?? basename(dir);
  problems.push(...checkPackageJson(pkg));
  const decl = pkg.certctl ?? {};

  // Workspace sources read the build-time constant __PACKAGE_VERSION__; give it a value before loading them.
  globalThis.__PACKAGE_VERSION__ ??= '0.0.0';
  const { checkManifest, configProperties, SUITE_FUNCTIONS } = await import('@certctl/connector-testkit/checks');
  const { configJsonSchema } = await import('@certctl/core');

  const entry = pickExport(pkg.exports?.['.'] ?? pkg.exports, SOURCE_CONDITIONS) ?? pkg.module ?? pkg.main;
  let mod;
  if (!entry) add('module', 'no entry point found in "exports"');
  else {
    try {
      // Builds replace __PACKAGE_VERSION__ with the package's version; do the same when loading sources.
      globalThis.__PACKAGE_VERSION__ = pkg.version;
      mod = await import(pathToFileURL(join(dir, entry)).href);
    } catch (error) {
      add('module', `importing ${entry} failed: ${error?.stack?.split('\n').slice(0, 3).join(' ') ?? error}`);
    }
  }

  let manifest;
  if (mod) {
    manifest = mod.default;
    for (const finding of checkManifest(manifest, KINDS.includes(decl.kind) ? { kind: decl.kind } : {}))
      problems.push(finding);
    if (manifest && typeof manifest === 'object') {
      if (decl.kind && manifest.kind !== decl.kind)
        add(
          'manifest.kind',
          `the manifest's kind "${manifest.kind}" differs from package.json certctl.kind "${decl.kind}"`,
        );
      if (decl.id && manifest.id !== decl.id)
        add('manifest.id', `the manifest's id "${manifest.id}" differs from package.json certctl.id "${decl.id}"`);
      if (manifest.version !== pkg.version)
        add(
          'manifest.version',
          `manifest.version ${JSON.stringify(manifest.version)} differs from package.json version ${pkg.version}`,
        );
    }
    if (!('VERSION' in mod)) add('exports.VERSION', 'the entry must export VERSION (= __PACKAGE_VERSION__)');
    else if (mod.VERSION !== pkg.version)
      add('exports.VERSION', `VERSION is ${JSON.stringify(mod.VERSION)} but package.json says ${pkg.version}`);
  }

  const readmePath = join(dir, 'README.md');
  if (!existsSync(readmePath))
    add('readme', 'README.md is missing (install, minimal config, config table, capabilities)');
  else if (manifest?.configSchema) {
    let keys = [];
    try {
      keys = configProperties(configJsonSchema(manifest.configSchema))
        .map((p) => p.path)
        .filter((p) => !p.includes('.'));
    } catch {
      // checkManifest already reported a schema that cannot be exported
    }
    const listed = tableKeys(readFileSync(readmePath, 'utf8'));
    const missing = keys.filter((k) => !listed.has(k));
    if (missing.length > 0)
      add(
        'readme.configTable',
        `README.md's config table does not list ${missing.map((k) => `\`${k}\``).join(', ')} (one row per key, the key in the first column)`,
      );
  }

  const suite = SUITE_FUNCTIONS[decl.kind];
  if (suite) {
    const tests = listFiles(join(dir, 'src'))
      .concat(listFiles(join(dir, 'test')))
      .filter((p) => /\.test\.[cm]?[jt]s$/.test(p));
    const runsSuite = tests.some((p) => {
      const text = readFileSync(p, 'utf8');
      return text.includes('@certctl/connector-testkit') && new RegExp(`\\b${suite}\\s*\\(`).test(text);
    });
    if (!runsSuite) {
      add(
        'tests.conformance',
        `no test file calls ${suite}() from @certctl/connector-testkit (looked in ${tests.length ? tests.map((p) => relative(dir, p)).join(', ') : 'src/ and test/: no *.test.ts files'})`,
      );
    }
  }
  return { name, dir, problems };
}
