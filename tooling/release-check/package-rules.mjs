// What a published package must look like, read from its tarball: the rules a person forgets.

const DEV_ONLY = [
  /(^|\/)__fixtures__\//,
  /(^|\/)test-support\//,
  /\.test\.[cm]?[jt]sx?$/,
  /\.test\.d\.[cm]?ts$/,
  /^src\//,
  /^test\//,
  /(^|\/)tsconfig(\.[a-z]+)?\.json$/,
  /(^|\/)(vitest|tsup)\.config\.[cm]?[jt]s$/,
  /(^|\/)\.turbo\//,
];
const REQUIRED_FIELDS = ['description', 'license', 'homepage', 'engines', 'repository', 'keywords'];

/**
 * Problems with a packed package (empty when it is fine).
 * @param {{ files: string[], manifest: Record<string, any> }} packed
 * @param {{ relativeDir?: string, coreVersion?: string }} [expect]
 */
export function packageProblems(packed, expect = {}) {
  const { files, manifest } = packed;
  const problems = [];
  const has = (path) => files.includes(path);
  if (!files.some((f) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(f))) problems.push('no LICENSE file in the tarball');
  if (!has('README.md')) problems.push('no README.md in the tarball');
  for (const field of REQUIRED_FIELDS) {
    const value = manifest[field];
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
      problems.push(`package.json has no "${field}"`);
  }
  if (manifest.type !== 'module') problems.push('package.json "type" is not "module"');
  if (manifest.sideEffects !== false) problems.push('package.json "sideEffects" is not false');
  if (!/^>=\s*20/.test(manifest.engines?.node ?? '')) problems.push('engines.node does not start at Node 20');
  if (expect.relativeDir && manifest.repository?.directory !== expect.relativeDir)
    problems.push(`repository.directory is "${manifest.repository?.directory}", expected "${expect.relativeDir}"`);
  for (const entry of manifest.files ?? []) {
    const normalized = entry.replace(/^\.\//, '').replace(/\/$/, '');
    if (!files.some((f) => f === normalized || f.startsWith(`${normalized}/`)))
      problems.push(`"files" lists ${entry}, which is not in the tarball`);
  }
  for (const file of files) {
    if (DEV_ONLY.some((pattern) => pattern.test(file))) problems.push(`dev-only file in the tarball: ${file}`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${dep} still says ${range}`);
    }
  }
  for (const target of exportTargets(manifest.exports)) {
    const path = target.replace(/^\.\//, '');
    if (!has(path)) problems.push(`exports points at ${target}, which is not in the tarball`);
  }
  if (JSON.stringify(manifest.exports ?? {}).includes('@certctl/source'))
    problems.push('exports still carry the @certctl/source condition (publishConfig.exports missing?)');
  if (manifest.certctl) {
    const suffix = String(manifest.name).replace(/^@certctl\//, '');
    if (`${manifest.certctl.kind}-${manifest.certctl.id}` !== suffix)
      problems.push(`"certctl" field ${manifest.certctl.kind}/${manifest.certctl.id} does not match ${manifest.name}`);
    const peer = manifest.peerDependencies?.['@certctl/core'];
    if (!peer) problems.push('a connector must take @certctl/core as a peer dependency');
    else if (manifest.dependencies?.['@certctl/core'])
      problems.push('@certctl/core is both a dependency and a peer: a connector must share the app’s core');
    else if (expect.coreVersion && !rangeIncludes(peer, expect.coreVersion))
      problems.push(`peer range "${peer}" on @certctl/core excludes the core being released (${expect.coreVersion})`);
  }
  return problems;
}

function exportTargets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField];
  if (!exportsField || typeof exportsField !== 'object') return [];
  return Object.values(exportsField).flatMap((value) => exportTargets(value));
}

function parseVersion(text) {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) throw new Error(`not a version: ${text}`);
  return match.slice(1, 4).map(Number);
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * Whether a version satisfies the range forms our packages use: `^x.y.z`, `~x.y.z`, `x.y.z`, and
 * space-separated comparators (`>=0.1.0 <1.0.0`). Written here because no semver library is a
 * dependency of the tooling and these forms are all we publish; anything else is reported.
 */
export function rangeIncludes(range, version) {
  const v = parseVersion(version);
  const comparators = range.trim().split(/\s+/);
  return comparators.every((comparator) => {
    const match = /^(\^|~|>=|<=|>|<|=)?(\d+\.\d+\.\d+)$/.exec(comparator);
    if (!match) throw new Error(`unsupported range form: ${range}`);
    const [, op = '=', text] = match;
    const r = parseVersion(text);
    const c = compare(v, r);
    switch (op) {
      case '^': {
        const upper = r[0] > 0 ? [r[0] + 1, 0, 0] : r[1] > 0 ? [0, r[1] + 1, 0] : [0, 0, r[2] + 1];
        return c >= 0 && compare(v, upper) < 0;
      }
      case '~':
        return c >= 0 && compare(v, [r[0], r[1] + 1, 0]) < 0;
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      default:
        return c === 0;
    }
  });
}
