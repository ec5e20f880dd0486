import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstalledConnectors, loadInstalledConnectors, resolvePackageEntry } from './load-installed.js';
import { createRegistry } from './registry.js';
import { createFakeContext, createRecordingLogger } from './test-support/fake-context.js';

// Fake installed packages are plain ESM that builds a manifest by hand with zod: exactly what a
// published connector's dist looks like to the loader.
const zodUrl = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
const manifestSource = (kind: string, id: string) => `
import { z } from '${zodUrl}';
const schema = z.object({});
export default {
  kind: '${kind}', id: '${id}', displayName: '${id}', version: '1.0.0', specificationVersion: 'v1',
  configSchema: schema, capabilities: {}, create: () => ({ issue: async () => ({ status: 'pending', orderId: 'o' }) }),
};
`;

let root: string;
let app: string;

function writePackage(base: string, name: string, pkg: Record<string, unknown>, files: Record<string, string>) {
  const dir = join(base, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...pkg }));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'certctl-load-'));
  app = join(root, 'app');
  mkdirSync(app, { recursive: true });
  writePackage(
    app,
    '@certctl/issuer-good',
    { certctl: { kind: 'issuer', id: 'good' }, exports: { '.': { import: './index.js' } } },
    { 'index.js': manifestSource('issuer', 'good') },
  );
  writePackage(
    app,
    '@certctl/issuer-broken',
    { certctl: { kind: 'issuer', id: 'broken' }, exports: './index.js' },
    { 'index.js': 'export default {;' },
  );
  writePackage(
    app,
    '@certctl/issuer-liar',
    { certctl: { kind: 'issuer', id: 'liar' }, main: 'index.js' },
    { 'index.js': manifestSource('issuer', 'other') },
  );
  writePackage(app, 'left-pad', {}, { 'index.js': 'export default 1' });
  writePackage(app, 'acme-corp-target', { exports: { '.': { node: { import: './dist/main.js' } } } }, {});
  mkdirSync(join(app, 'node_modules/acme-corp-target/dist'), { recursive: true });
  writeFileSync(join(app, 'node_modules/acme-corp-target/dist/main.js'), manifestSource('target', 'acme-corp'));
  // A package further up the tree is found too, but a nearer copy of the same name wins.
  writePackage(
    root,
    '@certctl/notifier-up',
    { certctl: { kind: 'notifier', id: 'up' } },
    { 'index.js': manifestSource('notifier', 'up') },
  );
  writePackage(
    root,
    '@certctl/issuer-good',
    { version: '0.0.1', certctl: { kind: 'issuer', id: 'good' } },
    { 'index.js': 'throw new Error("shadowed copy loaded")' },
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findInstalledConnectors', () => {
  it('finds packages by their certctl field, nearest copy first, without importing them', () => {
    const { found, missing } = findInstalledConnectors({ from: app });
    expect(found.map((f) => `${f.packageName}@${f.version}`).sort()).toEqual([
      '@certctl/issuer-broken@1.0.0',
      '@certctl/issuer-good@1.0.0',
      '@certctl/issuer-liar@1.0.0',
      '@certctl/notifier-up@1.0.0',
    ]);
    expect(missing).toEqual([]);
  });

  it('filters by kind and reports explicit packages that are not installed', () => {
    const { found, missing } = findInstalledConnectors({
      from: app,
      kinds: ['notifier'],
      explicit: ['@vendor/not-there'],
    });
    expect(found.map((f) => f.packageName)).toEqual(['@certctl/notifier-up']);
    expect(missing).toEqual(['@vendor/not-there']);
  });
});

describe('resolvePackageEntry', () => {
  it('follows nested export conditions', () => {
    expect(resolvePackageEntry(join(app, 'node_modules/acme-corp-target'))).toBe(
      join(app, 'node_modules/acme-corp-target/dist/main.js'),
    );
  });
});

describe('loadInstalledConnectors', () => {
  it('registers what loads and marks the rest unavailable without throwing', async () => {
    const logger = createRecordingLogger();
    const registry = createRegistry({ logger, createContext: ({ logger: l }) => createFakeContext(l) });
    const report = await loadInstalledConnectors(registry, {
      from: app,
      explicit: ['acme-corp-target', '@vendor/not-there'],
    });
    expect(report.loaded.map((l) => `${l.kind}/${l.id}`).sort()).toEqual([
      'issuer/good',
      'notifier/up',
      'target/acme-corp',
    ]);
    expect(report.failed.map((f) => f.packageName).sort()).toEqual([
      '@certctl/issuer-broken',
      '@certctl/issuer-liar',
      '@vendor/not-there',
    ]);
    expect(report.failed.find((f) => f.packageName === '@certctl/issuer-liar')?.error).toMatch(
      /declares issuer\/liar but the default export is issuer\/other/,
    );
    expect(registry.list('issuer').map((e) => `${e.id}:${e.status}`)).toEqual([
      'broken:unavailable',
      'good:available',
      'liar:unavailable',
    ]);
    const rt = await registry.instantiate('issuer', 'good', {}, { instanceId: 'g1' });
    const request = {
      csrPem: '',
      commonName: 'a.example',
      sans: { dns: [], ip: [], email: [], uri: [] },
      extKeyUsages: [],
      mustStaple: false,
      requestId: 'r',
      metadata: {},
    };
    await expect(rt.issue(request)).resolves.toMatchObject({ status: 'pending' });
    expect(logger.lines.some((l) => l.level === 'error' && l.fields.id === 'broken')).toBe(true);
  });
});
