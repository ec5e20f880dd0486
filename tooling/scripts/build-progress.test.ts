import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { countBuildTasks, createBuildProgress } from './build-progress.mjs';

const root = resolve(import.meta.dirname, '../..');

/** What turbo 2.11 prints with `--output-logs=hash-only` (recorded from `npm start` on a half-built tree). */
const TURBO_OUTPUT = `
   • turbo 2.11.11
   • Packages in scope: @certctl/core, @certctl/pki, @certctl/tooling
   • Running build in 3 packages
   • Remote caching disabled, using shared worktree cache

@certctl/core:build: cache hit, suppressing logs 2b11da436514ffbe
@certctl/pki:build: cache miss, executing 26fb579250ee5c35

 Tasks:    2 successful, 2 total
Cached:    1 cached, 2 total
  Time:    45.962s
`;

it('npm start shows one numbered line per package with the elapsed time, and turbo summary lines, not its banner', () => {
  let shown = '';
  let clock = 1_000_000;
  const progress = createBuildProgress({
    total: 2,
    write: (text: string) => {
      shown += text;
    },
    now: () => clock,
  });
  for (const line of TURBO_OUTPUT.split('\n')) {
    if (line.includes('cache miss')) clock += 3_000;
    progress.line(line);
  }
  expect(shown).toBe(
    [
      '[certctl] [1/2, 0s] @certctl/core up to date',
      '[certctl] [2/2, 3s] @certctl/pki building',
      ' Tasks:    2 successful, 2 total',
      'Cached:    1 cached, 2 total',
      '  Time:    45.962s',
      '',
    ].join('\n'),
  );
});

it("counts the build tasks of the server from turbo's own plan (packages without a build script do not count)", () => {
  // turbo looks for the package manager on PATH; `npm start` runs under pnpm, a test may not.
  const shim = mkdtempSync(join(tmpdir(), 'certctl-pnpm-shim-'));
  try {
    const pnpm = join(root, 'node_modules/pnpm/bin/pnpm.cjs');
    if (existsSync(pnpm)) {
      writeFileSync(join(shim, 'pnpm'), `#!/bin/sh\nexec "${process.execPath}" "${pnpm}" "$@"\n`);
      chmodSync(join(shim, 'pnpm'), 0o755);
    }
    const plan = execFileSync(
      join(root, 'node_modules/.bin/turbo'),
      ['run', 'build', '--filter=@certctl/server...', '--dry-run=json'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${shim}${delimiter}${process.env.PATH}` } },
    );
    const tasks = (JSON.parse(plan) as { tasks: { taskId: string; command: string }[] }).tasks;
    const count = countBuildTasks(plan);
    expect(tasks.map((t) => t.taskId)).toContain('@certctl/server#build');
    expect(count).toBe(tasks.filter((t) => t.command !== '<NONEXISTENT>').length);
    expect(count).toBeGreaterThan(5);
    expect(count).toBeLessThan(tasks.length); // @certctl/tooling has no build script
  } finally {
    rmSync(shim, { recursive: true, force: true });
  }
});
