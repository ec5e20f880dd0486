import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const WEB = resolve(import.meta.dirname, '..');

it('keeps the first load (index.html, its scripts and styles) under 400 KB gzipped', () => {
  if (!existsSync(join(WEB, 'dist', 'index.html')))
    execFileSync(process.execPath, [join(WEB, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: WEB,
    });
  const printed = execFileSync(process.execPath, [join(WEB, 'scripts/bundle-size.mjs')], { encoding: 'utf8' });
  expect(printed).toMatch(/first load: [\d.]+ KB gzipped/);
  const report = JSON.parse(readFileSync(join(WEB, 'dist', 'bundle-size.json'), 'utf8')) as {
    files: { name: string; gzip: number }[];
    total: { gzip: number };
    aimGzipBytes: number;
  };
  expect(report.aimGzipBytes).toBe(400 * 1024);
  expect(report.files.map((f) => f.name)).toEqual(
    expect.arrayContaining([
      'index.html',
      expect.stringMatching(/^assets\/.+\.js$/),
      expect.stringMatching(/^assets\/.+\.css$/),
    ]),
  );
  expect(report.total.gzip).toBeGreaterThan(10 * 1024);
  expect(report.total.gzip).toBeLessThan(report.aimGzipBytes);
});
