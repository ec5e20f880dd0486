import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_KINDS } from '../../packages/core/src/manifest.js';
import { checkPackageJson, KINDS, tableKeys } from './check-package.mjs';
import { findConnectorPackages } from './find-connector-packages.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = join(here, 'bin.mjs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('check-connectors CLI', () => {
  it('passes a connector package that follows the conventions', async () => {
    const result = await run([join(here, 'fixtures/issuer-good')]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('ok   @certctl/issuer-good');
    expect(result.stdout).toContain('1 connector package(s) checked, 0 with problems.');
    expect(result.code).toBe(0);
  });

  it('lists every problem of a broken package and exits 1', async () => {
    const result = await run([join(here, 'fixtures/issuer-good'), join(here, 'fixtures/issuer-broken')]);
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toContain('ok   @certctl/issuer-good');
    expect(out).toContain('FAIL @certctl/issuer-broken');
    for (const expected of [
      '[package.sideEffects]',
      '"exports"["."] has no "types" condition',
      '"publishConfig.access" must be "public"',
      '"engines.node" must be ">=20.19"',
      '@certctl/core must be a peer dependency',
      'must end with "issuer-broke"',
      'config key "api_token" looks like a credential but is not marked with secret()',
      'config key "hmac_key" looks like a credential',
      'environment variable "BROKEN_URL"',
      'the manifest\'s id "broken" differs from package.json certctl.id "broke"',
      'VERSION is "1.0.0" but package.json says 2.0.0',
      "README.md's config table does not list `api_token`, `hmac_key`",
      'no test file calls testIssuer() from @certctl/connector-testkit',
    ]) {
      expect(out).toContain(expected);
    }
    expect(out).toContain('2 connector package(s) checked, 1 with problems.');
  });

  it('says so and exits 0 when a packages dir holds no connector packages', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'check-connectors-'));
    try {
      await mkdir(join(dir, 'core'));
      await writeFile(join(dir, 'core', 'package.json'), '{"name":"@certctl/core"}');
      await mkdir(join(dir, 'issuer-nopkg'));
      const result = await run(['--packages-dir', dir]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('No connector packages found');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a package whose default export is not a manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'check-connectors-'));
    try {
      const pkg = join(dir, 'target-empty');
      await mkdir(join(pkg, 'src'), { recursive: true });
      await writeFile(
        join(pkg, 'package.json'),
        JSON.stringify({
          name: '@certctl/target-empty',
          version: '0.1.0',
          type: 'module',
          exports: { '.': './src/index.ts' },
          certctl: { kind: 'target', id: 'empty' },
        }),
      );
      await writeFile(join(pkg, 'src/index.ts'), 'export const VERSION = "0.1.0";\nexport default 42;\n');
      const result = await run(['--packages-dir', dir]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('the default export is not a connector manifest object');
      expect(result.stdout).toContain('README.md is missing');
      expect(result.stdout).toContain('no test file calls testTarget()');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('check-connectors helpers', () => {
  it('knows the same connector kinds as core', () => {
    expect(KINDS).toEqual(CONNECTOR_KINDS);
  });

  it('finds only connector-named directories with a package.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'check-connectors-'));
    try {
      for (const name of [
        'issuer-acme',
        'target-nginx',
        'notifier-slack',
        'discovery-awssm',
        'core',
        'issuer-nopkg',
        'issuer-Bad',
      ]) {
        await mkdir(join(dir, name));
        if (name !== 'issuer-nopkg') await writeFile(join(dir, name, 'package.json'), '{}');
      }
      expect(findConnectorPackages(dir).map((p) => p.slice(dir.length + 1))).toEqual([
        'discovery-awssm',
        'issuer-acme',
        'notifier-slack',
        'target-nginx',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads config keys from the first column of markdown tables', () => {
    const keys = tableKeys(
      '| key | type |\n| --- | --- |\n| `directory_url` | string |\n|eab_kid|string|\ntext | not a row\n',
    );
    expect([...keys]).toEqual(['key', 'directory_url', 'eab_kid']);
  });

  it('accepts engines.node lower bounds of 20.19 and later only', () => {
    const base = {
      type: 'module',
      sideEffects: false,
      exports: { './package.json': './package.json', '.': { types: 'a', import: 'b' } },
      files: ['dist'],
      publishConfig: { access: 'public' },
      peerDependencies: { '@certctl/core': '^0.1.0' },
      repository: { directory: 'packages/issuer-x' },
      name: '@certctl/issuer-x',
      certctl: { kind: 'issuer', id: 'x' },
    };
    expect(checkPackageJson({ ...base, engines: { node: '>=20.19' } })).toEqual([]);
    expect(checkPackageJson({ ...base, engines: { node: '>=22' } })).toEqual([]);
    expect(checkPackageJson({ ...base, engines: { node: '>=20.18.1' } }).map((f: { rule: string }) => f.rule)).toEqual([
      'package.engines',
    ]);
    expect(checkPackageJson({ ...base, engines: { node: '>=20.19' }, name: 'certctl-issuer-x' })).toEqual([]);
  });
});
