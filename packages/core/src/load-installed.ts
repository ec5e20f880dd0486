import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONNECTOR_KINDS, type ConnectorKind } from './manifest.js';
import type { ConnectorRegistry, RegisteredConnector } from './registry.js';

/** A package that declares `"certctl": { "kind": ..., "id": ... }` in its package.json. */
export interface InstalledConnector {
  packageName: string;
  packageDir: string;
  version: string;
  kind: ConnectorKind;
  id: string;
}

export interface FindConnectorsOptions {
  /** Directory to resolve from (the app's directory); its node_modules and every parent's are searched. */
  from: string;
  /** Extra package names to load even without the `certctl` field, e.g. from CERTCTL_CONNECTORS. */
  explicit?: readonly string[];
  kinds?: readonly ConnectorKind[];
}

export interface LoadConnectorsOptions extends FindConnectorsOptions {
  /**
   * Export conditions used to pick each package's entry file, in order. The default is Node's own;
   * tests inside this monorepo add `@certctl/source` to load TypeScript sources.
   */
  conditions?: readonly string[];
}

export interface LoadReport {
  loaded: RegisteredConnector[];
  failed: { packageName: string; error: string }[];
}

const KINDS: readonly ConnectorKind[] = CONNECTOR_KINDS;

interface PackageJson {
  name?: string;
  version?: string;
  certctl?: { kind?: unknown; id?: unknown };
  exports?: unknown;
  module?: string;
  main?: string;
}

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

function nodeModulesDirs(from: string): string[] {
  const dirs: string[] = [];
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) dirs.push(candidate);
    const parent = dirname(dir);
    if (parent === dir) return dirs;
    dir = parent;
  }
}

function packageDirsIn(nodeModules: string): string[] {
  const out: string[] = [];
  for (const name of safeReaddir(nodeModules)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@'))
      for (const sub of safeReaddir(join(nodeModules, name))) out.push(join(nodeModules, name, sub));
    else out.push(join(nodeModules, name));
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function locate(name: string, from: string): string | undefined {
  for (const nm of nodeModulesDirs(from)) {
    const dir = join(nm, ...name.split('/'));
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/**
 * Lists the connector packages resolvable from `from`, nearest first (a package shadowed by a
 * nearer copy of the same name is skipped, as Node's resolution would). Nothing is imported.
 */
export function findInstalledConnectors(options: FindConnectorsOptions): {
  found: InstalledConnector[];
  missing: string[];
} {
  const seen = new Set<string>();
  const found: InstalledConnector[] = [];
  const consider = (dir: string, explicit: boolean) => {
    const pkg = readPackageJson(dir);
    if (!pkg?.name || seen.has(pkg.name)) return;
    const decl = pkg.certctl;
    if (!decl && !explicit) return;
    seen.add(pkg.name);
    const kind = decl?.kind as ConnectorKind | undefined;
    const id = decl?.id;
    if (!kind || !KINDS.includes(kind) || typeof id !== 'string') {
      // An explicit package without a valid `certctl` field still gets loaded; its manifest tells kind and id.
      if (explicit)
        found.push({
          packageName: pkg.name,
          packageDir: dir,
          version: pkg.version ?? '0.0.0',
          kind: kind ?? 'issuer',
          id: typeof id === 'string' ? id : '',
        });
      return;
    }
    if (options.kinds && !options.kinds.includes(kind)) return;
    found.push({ packageName: pkg.name, packageDir: dir, version: pkg.version ?? '0.0.0', kind, id });
  };
  const missing: string[] = [];
  for (const name of options.explicit ?? []) {
    const dir = locate(name, options.from);
    if (dir) consider(dir, true);
    else missing.push(name);
  }
  for (const nm of nodeModulesDirs(options.from)) for (const dir of packageDirsIn(nm)) consider(dir, false);
  return { found, missing };
}

function pickExport(target: unknown, conditions: readonly string[]): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const hit = pickExport(t, conditions);
      if (hit) return hit;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (condition === 'default' || conditions.includes(condition)) {
        const hit = pickExport(value, conditions);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

/** The file Node would import for `import 'pkg'` under the given conditions (ESM, `.` export). */
export function resolvePackageEntry(packageDir: string, conditions: readonly string[] = ['node', 'import']): string {
  const pkg = readPackageJson(packageDir);
  if (!pkg) throw new Error(`no package.json in ${packageDir}`);
  let entry: string | undefined;
  if (pkg.exports !== undefined) {
    const exp = pkg.exports as Record<string, unknown> | string;
    const dot =
      typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'))
        ? exp['.']
        : exp;
    entry = pickExport(dot, conditions);
  }
  entry ??= pkg.module ?? pkg.main ?? 'index.js';
  return join(packageDir, entry);
}

/**
 * Finds the installed connector packages and registers each one's default-exported manifest.
 * A package that fails to import, or exports something that is not a valid manifest for the kind
 * and id it declares, is recorded as unavailable with the reason; the others still load.
 */
export async function loadInstalledConnectors(
  registry: ConnectorRegistry,
  options: LoadConnectorsOptions,
): Promise<LoadReport> {
  const { found, missing } = findInstalledConnectors(options);
  const report: LoadReport = {
    loaded: [],
    failed: missing.map((packageName) => ({
      packageName,
      error: 'not installed (listed explicitly but not resolvable)',
    })),
  };
  const conditions = options.conditions ?? ['node', 'import'];
  await Promise.all(
    found.map(async (pkg) => {
      try {
        const mod = (await import(pathToFileURL(resolvePackageEntry(pkg.packageDir, conditions)).href)) as {
          default?: unknown;
        };
        const manifest = mod.default as { kind?: unknown; id?: unknown } | undefined;
        if (pkg.id && (manifest?.kind !== pkg.kind || manifest?.id !== pkg.id)) {
          throw new Error(
            `package.json declares ${pkg.kind}/${pkg.id} but the default export is ${String(manifest?.kind)}/${String(manifest?.id)}`,
          );
        }
        report.loaded.push(registry.register(manifest, { packageName: pkg.packageName }));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.failed.push({ packageName: pkg.packageName, error: message });
        if (pkg.id) registry.markUnavailable({ kind: pkg.kind, id: pkg.id, packageName: pkg.packageName, error });
      }
    }),
  );
  return report;
}
