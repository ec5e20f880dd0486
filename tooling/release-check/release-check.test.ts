import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rangeIncludes } from './package-rules.mjs';
import { runReleaseCheck } from './release-check.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function npmPack(dir: string, destination: string): string {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], {
    cwd: dir,
    encoding: 'utf8',
  });
  return join(destination, name.trim().split('\n').pop()!.trim());
}

describe('release check on packed fixtures', () => {
  let workDir: string;
  let problemsOf: Map<string, string[]>;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'release-check-test-'));
    const tarballs = ['good-package', 'broken-package'].map((dir) => ({
      name: `@certctl/fixture-${dir.replace('-package', '')}`,
      tarball: npmPack(join(fixtures, dir), workDir),
      relativeDir: `fixtures/${dir}`,
    }));
    const outcome = await runReleaseCheck({ root, workDir, tarballs, apps: false });
    problemsOf = new Map(outcome.results.map((r) => [r.name, r.problems]));
    expect(outcome.ok).toBe(false);
  }, 300_000);

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('accepts a complete package: installs alone, imports, type-checks under strict', () => {
    expect(problemsOf.get('@certctl/fixture-good')).toEqual([]);
  });

  it('refuses a package that would ship broken, saying why', () => {
    const problems = problemsOf.get('@certctl/fixture-broken')!.join('\n');
    expect(problems).toContain('no LICENSE file in the tarball');
    expect(problems).toContain('"files" lists CHANGELOG.md, which is not in the tarball');
    expect(problems).toContain('dev-only file in the tarball: lib/index.test.js');
    expect(problems).toContain('package.json has no "homepage"');
    expect(problems).toContain('exports points at ./lib/index.d.ts, which is not in the tarball');
    expect(problems).toContain('"certctl" field issuer/other does not match @certctl/fixture-broken');
    expect(problems).toContain('a connector must take @certctl/core as a peer dependency');
    // zod is imported but not declared: with nothing hoisted the import fails, as it would for a user.
    expect(problems).toMatch(/import as ESM failed:[\s\S]*zod/);
    expect(problems).toMatch(/publint error/);
  });
});

describe('peer ranges', () => {
  it('reads the range forms our packages publish', () => {
    expect(rangeIncludes('>=0.1.0 <1.0.0', '0.2.0')).toBe(true);
    expect(rangeIncludes('>=0.1.0 <1.0.0', '1.0.0')).toBe(false);
    expect(rangeIncludes('^0.1.0', '0.2.0')).toBe(false);
    expect(rangeIncludes('^1.2.0', '1.9.3')).toBe(true);
    expect(rangeIncludes('~1.2.0', '1.3.0')).toBe(false);
    expect(() => rangeIncludes('1.x', '1.0.0')).toThrow(/unsupported range form/);
  });
});
