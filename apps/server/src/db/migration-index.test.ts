import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMigrationFiles, MIGRATION_NAME, renderMigrationIndex } from './migration-index-file.js';
import { MIGRATIONS } from './migration-index.js';

const SRC = join(import.meta.dirname, '..');

describe('migration index', () => {
  it('lists every migration file on disk, and nothing else, in timestamp order', async () => {
    const files = findMigrationFiles(SRC);
    expect(files.length).toBeGreaterThan(0);
    expect(Object.keys(MIGRATIONS)).toEqual(files.map((f) => f.name));
    for (const file of files) {
      const module = await import(join(SRC, 'db', file.importPath.replace(/\.js$/, '.ts')));
      expect(MIGRATIONS[file.name], `${file.name} is another module in the index`).toBe(module);
    }
  });

  it('names migrations by UTC timestamp, so parallel branches cannot collide', () => {
    for (const name of Object.keys(MIGRATIONS)) expect(name).toMatch(MIGRATION_NAME);
  });

  it('refuses a file named without a timestamp, and two files with one name', () => {
    expect(() => renderMigrationIndex([{ name: '0009-extra', importPath: './migrations/0009-extra.js' }])).toThrow(
      /yyyymmdd/,
    );
    const twice = { name: '20261207T1400-extra', importPath: './migrations/20261207T1400-extra.js' };
    expect(() => renderMigrationIndex([twice, twice])).toThrow(/two migrations/);
  });
});
